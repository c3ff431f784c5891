//! Spark's variance and standard deviation aggregates (`var_samp`/`variance`, `var_pop`, `stddev`/`stddev_samp`/
//! `std`, `stddev_pop`), with the update and merge formulas of Spark's `CentralMomentAgg`, so that results agree
//! with Spark's to the last digit (DataFusion's Welford update rounds differently in the last one or two digits).
//!
//! A buffer is `(n, avg, m2)`: the count, the mean and the sum of squared deviations. Adding `x`:
//! `delta = x - avg; deltaN = delta / (n + 1); avg += deltaN; m2 += delta * (delta - deltaN)`. Merging two
//! buffers: `delta = avg2 - avg1; deltaN = delta / (n1 + n2); avg = avg1 + deltaN * n2;
//! m2 = m2_1 + m2_2 + delta * deltaN * n1 * n2`. Nulls are skipped; no value gives NULL, and so does one value
//! for the sample statistics (Spark 3+ without `spark.sql.legacy.statisticalAggregate`).

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility};
use std::sync::Arc;

/// Which statistic of the second moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Moment {
    VarSamp,
    VarPop,
    StddevSamp,
    StddevPop,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SparkMoment {
    name: &'static str,
    aliases: Vec<String>,
    moment: Moment,
    signature: Signature,
}

impl AggregateUDFImpl for SparkMoment {
    fn name(&self) -> &str {
        self.name
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, _: AccumulatorArgs<'_>) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(MomentAccumulator { moment: self.moment, n: 0.0, avg: 0.0, m2: 0.0 }))
    }

    fn state_fields(&self, args: StateFieldsArgs<'_>) -> Result<Vec<FieldRef>> {
        Ok(["n", "avg", "m2"]
            .into_iter()
            .map(|part| Arc::new(Field::new(format!("{}[{part}]", args.name), DataType::Float64, true)))
            .collect())
    }
}

/// One group's buffer; the count is a double, as in Spark.
#[derive(Debug)]
struct MomentAccumulator {
    moment: Moment,
    n: f64,
    avg: f64,
    m2: f64,
}

fn doubles(array: &ArrayRef) -> Result<ArrayRef> {
    Ok(cast(array, &DataType::Float64)?)
}

impl Accumulator for MomentAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(values) = values.first() else { return Ok(()) };
        let values = doubles(values)?;
        for x in values.as_primitive::<Float64Type>().iter().flatten() {
            let n = self.n + 1.0;
            let delta = x - self.avg;
            let delta_n = delta / n;
            self.avg += delta_n;
            self.m2 += delta * (delta - delta_n);
            self.n = n;
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [n, avg, m2] = states else {
            return Err(DataFusionError::Internal(format!("a moment buffer has 3 parts, got {}", states.len())));
        };
        let (n, avg, m2) = (doubles(n)?, doubles(avg)?, doubles(m2)?);
        let (n, avg, m2) =
            (n.as_primitive::<Float64Type>(), avg.as_primitive::<Float64Type>(), m2.as_primitive::<Float64Type>());
        for i in 0..n.len() {
            if n.is_null(i) {
                continue;
            }
            let (n2, avg2, m2_2) = (n.value(i), avg.value(i), m2.value(i));
            let total = self.n + n2;
            let delta = avg2 - self.avg;
            let delta_n = if total == 0.0 { 0.0 } else { delta / total };
            self.avg += delta_n * n2;
            self.m2 = self.m2 + m2_2 + delta * delta_n * self.n * n2;
            self.n = total;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::from(self.n), ScalarValue::from(self.avg), ScalarValue::from(self.m2)])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let variance = match self.moment {
            _ if self.n == 0.0 => None,
            Moment::VarPop | Moment::StddevPop => Some(self.m2 / self.n),
            Moment::VarSamp | Moment::StddevSamp if self.n == 1.0 => None,
            Moment::VarSamp | Moment::StddevSamp => Some(self.m2 / (self.n - 1.0)),
        };
        let value = match self.moment {
            Moment::StddevSamp | Moment::StddevPop => variance.map(f64::sqrt),
            Moment::VarSamp | Moment::VarPop => variance,
        };
        Ok(ScalarValue::Float64(value))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

fn moment(name: &'static str, aliases: &[&str], moment: Moment) -> AggregateUDF {
    AggregateUDF::new_from_impl(SparkMoment {
        name,
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        moment,
        signature: Signature::any(1, Volatility::Immutable),
    })
}

/// The four aggregates under Spark's names, for the session's function registry.
pub(crate) fn aggregate_functions() -> Vec<AggregateUDF> {
    vec![
        moment("var_samp", &["variance"], Moment::VarSamp),
        moment("var_pop", &[], Moment::VarPop),
        moment("stddev_samp", &["stddev", "std"], Moment::StddevSamp),
        moment("stddev_pop", &[], Moment::StddevPop),
    ]
}

/// `var_samp(e)`.
pub(crate) fn var_samp(e: Expr) -> Expr {
    moment("var_samp", &[], Moment::VarSamp).call(vec![e])
}

/// `var_pop(e)`.
pub(crate) fn var_pop(e: Expr) -> Expr {
    moment("var_pop", &[], Moment::VarPop).call(vec![e])
}

/// `stddev_samp(e)`.
pub(crate) fn stddev_samp(e: Expr) -> Expr {
    moment("stddev_samp", &[], Moment::StddevSamp).call(vec![e])
}

/// `stddev_pop(e)`.
pub(crate) fn stddev_pop(e: Expr) -> Expr {
    moment("stddev_pop", &[], Moment::StddevPop).call(vec![e])
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Float64Array;

    fn run(moment: Moment, parts: &[&[Option<f64>]]) -> Result<ScalarValue> {
        // Each part is a partial aggregation; the final one merges them into an empty buffer, as Spark does.
        let mut last = MomentAccumulator { moment, n: 0.0, avg: 0.0, m2: 0.0 };
        for part in parts {
            let mut partial = MomentAccumulator { moment, n: 0.0, avg: 0.0, m2: 0.0 };
            partial.update_batch(&[Arc::new(Float64Array::from(part.to_vec())) as ArrayRef])?;
            let state: Vec<ArrayRef> = partial.state()?.into_iter().map(|v| v.to_array()).collect::<Result<_>>()?;
            last.merge_batch(&state)?;
        }
        last.evaluate()
    }

    #[test]
    fn moments_of_a_small_set_worked_by_hand() -> Result<()> {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations 32, population variance 4, sample 32/7.
        let xs = [Some(2.0), Some(4.0), None, Some(4.0), Some(4.0)];
        let ys = [Some(5.0), Some(5.0), Some(7.0), Some(9.0)];
        assert_eq!(run(Moment::VarPop, &[&xs, &ys])?, ScalarValue::Float64(Some(4.0)));
        assert_eq!(run(Moment::StddevPop, &[&xs, &ys])?, ScalarValue::Float64(Some(2.0)));
        let ScalarValue::Float64(Some(v)) = run(Moment::VarSamp, &[&xs, &ys])? else { panic!("a value") };
        approx::assert_relative_eq!(v, 32.0 / 7.0, max_relative = 1e-15);
        // No value: NULL; one value: NULL for the sample statistics, 0 for the population ones.
        assert_eq!(run(Moment::VarSamp, &[&[None]])?, ScalarValue::Float64(None));
        assert_eq!(run(Moment::StddevSamp, &[&[Some(3.0)]])?, ScalarValue::Float64(None));
        assert_eq!(run(Moment::VarPop, &[&[Some(3.0)]])?, ScalarValue::Float64(Some(0.0)));
        Ok(())
    }
}
