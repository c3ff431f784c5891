//! Spark's `socket` source for the labs (`nc -lk 9999`): the lines read from a TCP server, as a `value`
//! column. Like Spark's, it is not replayable — lines live only in memory — so it cannot give exactly-once
//! output across restarts; it is for demonstrations.

use super::source::{Offset, ReadLimit, Source, SourceProvider};
use crate::error::{Error, Result};
use datafusion::arrow::array::StringArray;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::sync::{Arc, Mutex};

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new("value", DataType::Utf8, true)]))
}

pub(crate) struct SocketProvider {
    address: String,
}

/// Checks the options (`host`, `port`).
pub(crate) fn provider(options: &BTreeMap<String, String>) -> Result<Arc<dyn SourceProvider>> {
    let host = options.get("host").ok_or_else(|| Error::param("host", "the socket source needs a host"))?;
    let port = options.get("port").ok_or_else(|| Error::param("port", "the socket source needs a port"))?;
    let port: u16 =
        port.parse().map_err(|_| Error::param("port", format!("`{port}` is not a port number (0 to 65535)")))?;
    Ok(Arc::new(SocketProvider { address: format!("{host}:{port}") }))
}

impl SourceProvider for SocketProvider {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn create(&self, _metadata_dir: Option<&Path>) -> Result<Arc<dyn Source>> {
        let stream = TcpStream::connect(&self.address)
            .map_err(|e| Error::Plan(format!("the socket source cannot connect to {}: {e}", self.address)))?;
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = Arc::clone(&lines);
        // Lines arrive whenever the server sends them; each trigger takes those read so far.
        std::thread::Builder::new()
            .name(format!("socket-source-{}", self.address))
            .spawn(move || {
                for line in BufReader::new(stream).lines().map_while(std::result::Result::ok) {
                    sink.lock().unwrap_or_else(|e| e.into_inner()).push(line);
                }
            })
            .map_err(|e| Error::Internal(format!("starting the socket reader: {e}")))?;
        Ok(Arc::new(SocketSource { address: self.address.clone(), lines }))
    }

    fn description(&self) -> String {
        format!("TextSocketV2[host: {}]", self.address)
    }
}

struct SocketSource {
    address: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Source for SocketSource {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn latest_offset(&self, _start: Option<&Offset>, _limit: ReadLimit) -> Result<Option<Offset>> {
        let n = self.lines.lock().unwrap_or_else(|e| e.into_inner()).len() as u64;
        Ok((n > 0).then(|| Offset::log_offset(n)))
    }

    fn get_batch(&self, start: Option<&Offset>, end: &Offset) -> Result<Vec<RecordBatch>> {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let from = start.and_then(Offset::as_log_offset).unwrap_or(0) as usize;
        let to = end.as_log_offset().unwrap_or(0) as usize;
        if from > to || to > lines.len() {
            return Err(Error::Plan(format!(
                "the socket source cannot replay lines {from}..{to}: it keeps only this run's lines (not \
                 fault-tolerant, as in Spark)"
            )));
        }
        Ok(vec![RecordBatch::try_new(schema(), vec![Arc::new(StringArray::from(lines[from..to].to_vec()))])?])
    }

    fn description(&self) -> String {
        format!("TextSocketV2[host: {}]", self.address)
    }
}
