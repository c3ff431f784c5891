//! Clusters that drift: `StreamingKMeans` follows three groups of points whose centres move a little with every
//! micro-batch, forgetting old points with a half-life of two batches, while a second query assigns probe points
//! to the clusters as they are at that moment (the centres lag the drift: a probe just right of the left group
//! joins the right group once the left centre has fallen far enough behind).
//!
//! Run: `cargo run -p flint-mllib --example streaming_kmeans`

use flint_engine::prelude::*;
use flint_engine::streaming::MemoryStream;
use flint_mllib::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let session = Session::builder().app_name("StreamingKMeans").master("local[2]").get_or_create()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    // 100 points around each of three centres that drift right by `shift`.
    let mut batch = |shift: f64| -> Vec<(f64, f64)> {
        let centres = [(0.0, 0.0), (5.0, 5.0), (10.0, 0.0)];
        (0..300)
            .map(|i| {
                let (cx, cy) = centres[i % 3];
                (cx + shift + rng.gen_range(-1.0..1.0), cy + rng.gen_range(-1.0..1.0))
            })
            .collect()
    };
    let points = MemoryStream::new(&session, session.create_dataframe(batch(0.0), &["x", "y"])?.schema());
    let probes = MemoryStream::new(&session, points.to_df()?.schema());
    let assembler = VectorAssembler::new(["x", "y"], "features");

    let skm = StreamingKMeans::new().k(3).half_life(2.0, TimeUnit::Batches).initial_centers(
        vec![Vectors::dense(vec![1.0, 1.0]), Vectors::dense(vec![4.0, 4.0]), Vectors::dense(vec![9.0, 1.0])],
        vec![0.0; 3],
    );
    let training = skm.train_on(&assembler.transform(&points.to_df()?)?)?;
    let scoring = skm
        .predict_on(&assembler.transform(&probes.to_df()?)?)?
        .write_stream()
        .foreach_batch(|scored, id| {
            for row in scored.select([col("x"), col("y"), col("prediction")])?.collect()? {
                println!(
                    "  probe batch {id}: ({:.1}, {:.1}) is in cluster {}",
                    row.get_at::<f64>(0)?,
                    row.get_at::<f64>(1)?,
                    row.get_at::<i32>(2)?
                );
            }
            Ok(())
        })
        .start()?;

    for tick in 0..6 {
        let shift = tick as f64;
        points.add_data(session.create_dataframe(batch(shift), &["x", "y"])?)?;
        training.process_all_available()?;
        let model = skm.latest_model()?;
        let centres: Vec<String> = model
            .cluster_centers()
            .iter()
            .map(|c| format!("({:.2}, {:.2})", c.to_array()[0], c.to_array()[1]))
            .collect();
        println!("after batch {tick} (centres drifted by {shift}): {}", centres.join(" "));
        probes.add_data(session.create_dataframe(vec![(4.0 + shift, 0.0)], &["x", "y"])?)?;
        scoring.process_all_available()?;
    }
    training.stop()?;
    scoring.stop()?;
    Ok(())
}
