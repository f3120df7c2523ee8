//! `docker service logs` and task logs, streamed. Read raw so the engine can be asked for
//! each line's details (which task, on which node) — bollard's options have no `details` —
//! and decoded from Docker's multiplexed frames here, each line bounded in length.

use bytes::{Buf, BytesMut};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::{DockerClient, Result};

/// The longest line passed on; a longer one is cut (a container must not make the console
/// hold megabytes for one line).
pub const MAX_LINE: usize = 16 * 1024;

/// Whose logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSource {
    Service(String),
    Task(String),
}

/// What `docker service logs` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogRequest {
    pub follow: bool,
    /// The last this many lines (all when none).
    pub tail: Option<u32>,
    /// Only lines since this unix time.
    pub since: Option<i64>,
    pub timestamps: bool,
}

/// One line of a service's or task's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub stderr: bool,
    /// RFC 3339, when asked for.
    pub timestamp: Option<String>,
    pub task_id: Option<String>,
    pub node_id: Option<String>,
    pub text: String,
}

/// A line as the engine sends it: `[timestamp] [details] text`, details being
/// `com.docker.swarm.node.id=…,com.docker.swarm.service.id=…,com.docker.swarm.task.id=…`.
fn parse_line(raw: &[u8], stderr: bool, timestamps: bool) -> LogLine {
    let text = String::from_utf8_lossy(raw);
    let mut rest = text.trim_end_matches(['\n', '\r']);
    let mut timestamp = None;
    if timestamps {
        if let Some((first, after)) = rest.split_once(' ') {
            timestamp = Some(first.to_owned());
            rest = after;
        }
    }
    let (mut task_id, mut node_id) = (None, None);
    if rest.starts_with("com.docker.swarm.") {
        let (details, after) = rest.split_once(' ').unwrap_or((rest, ""));
        for pair in details.split(',') {
            match pair.split_once('=') {
                Some(("com.docker.swarm.task.id", id)) => task_id = Some(id.to_owned()),
                Some(("com.docker.swarm.node.id", id)) => node_id = Some(id.to_owned()),
                _ => {}
            }
        }
        rest = after;
    }
    let mut text: String = rest.to_owned();
    if text.len() > MAX_LINE {
        let mut cut = MAX_LINE;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    LogLine {
        stderr,
        timestamp,
        task_id,
        node_id,
        text,
    }
}

/// Decodes Docker's stream: 8-byte frame headers (stream, 0, 0, 0, big-endian length) before
/// each chunk, or, for a service with a TTY, plain text.
struct Decoder {
    buffer: BytesMut,
    framed: Option<bool>,
    timestamps: bool,
    /// Bytes still to drop of a frame that was too long and has been cut.
    discard: usize,
}

impl Decoder {
    fn new(timestamps: bool) -> Self {
        Self {
            buffer: BytesMut::new(),
            framed: None,
            timestamps,
            discard: 0,
        }
    }

    /// The complete lines the buffer holds now.
    fn lines(&mut self) -> Vec<LogLine> {
        let mut lines = Vec::new();
        let framed = match self.framed {
            Some(framed) => framed,
            None if self.buffer.len() < 8 => return lines,
            None => {
                let framed = self.buffer[0] <= 2 && self.buffer[1..4] == [0, 0, 0];
                self.framed = Some(framed);
                framed
            }
        };
        if !framed {
            while let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
                let line = self.buffer.split_to(end + 1);
                lines.push(parse_line(&line, false, self.timestamps));
            }
            if self.buffer.len() > MAX_LINE {
                let line = self.buffer.split_to(MAX_LINE);
                lines.push(parse_line(&line, false, self.timestamps));
            }
            return lines;
        }
        loop {
            if self.discard > 0 {
                let dropped = self.discard.min(self.buffer.len());
                self.buffer.advance(dropped);
                self.discard -= dropped;
                if self.discard > 0 {
                    return lines;
                }
            }
            if self.buffer.len() < 8 {
                return lines;
            }
            let stderr = self.buffer[0] == 2;
            let size = u32::from_be_bytes([
                self.buffer[4],
                self.buffer[5],
                self.buffer[6],
                self.buffer[7],
            ]) as usize;
            if size > MAX_LINE {
                // Too long for a line: pass its start on, cut, and drop the rest as it comes.
                if self.buffer.len() < 8 + MAX_LINE {
                    return lines;
                }
                self.buffer.advance(8);
                let head = self.buffer.split_to(MAX_LINE);
                let mut line = parse_line(&head, stderr, self.timestamps);
                line.text.push('…');
                lines.push(line);
                self.discard = size - MAX_LINE;
                continue;
            }
            if self.buffer.len() < 8 + size {
                return lines;
            }
            self.buffer.advance(8);
            let payload = self.buffer.split_to(size);
            for line in payload[..].split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                lines.push(parse_line(line, stderr, self.timestamps));
            }
        }
    }
}

impl DockerClient {
    /// The output of a service (every task, on any node, through the manager) or of one task.
    pub async fn logs(
        &self,
        source: &LogSource,
        request: &LogRequest,
    ) -> Result<BoxStream<'static, Result<LogLine>>> {
        let (kind, id) = match source {
            LogSource::Service(id) => ("services", id),
            LogSource::Task(id) => ("tasks", id),
        };
        let mut query = format!(
            "stdout=1&stderr=1&details=1&follow={}&timestamps={}",
            u8::from(request.follow),
            u8::from(request.timestamps)
        );
        if let Some(tail) = request.tail {
            query.push_str(&format!("&tail={tail}"));
        }
        if let Some(since) = request.since {
            query.push_str(&format!("&since={since}"));
        }
        let path = format!(
            "/v{}/{kind}/{}/logs?{query}",
            self.api_version(),
            crate::service::percent_encode(id)
        );
        let action = format!("read the logs of {id}");
        let mut decoder = Decoder::new(request.timestamps);
        self.raw
            .decoded_stream(&path, (&self.endpoint, &action), "log", move |data| {
                decoder.buffer.extend_from_slice(data);
                decoder.lines()
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(stream: u8, text: &str) -> Vec<u8> {
        let mut bytes = vec![stream, 0, 0, 0];
        bytes.extend_from_slice(&(text.len() as u32).to_be_bytes());
        bytes.extend_from_slice(text.as_bytes());
        bytes
    }

    #[test]
    fn frames_become_lines_with_their_task_and_stream() {
        let mut decoder = Decoder::new(true);
        let mut input = frame(1, "2026-12-02T10:00:00.000Z com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1 hello <b>\n");
        input.extend(frame(2, "2026-12-02T10:00:01.000Z com.docker.swarm.node.id=n2,com.docker.swarm.task.id=t2 oops\n"));
        let (first, second) = input.split_at(20);
        decoder.buffer.extend_from_slice(first);
        assert!(decoder.lines().is_empty(), "half a frame is no line yet");
        decoder.buffer.extend_from_slice(second);
        let lines = decoder.lines();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text, "hello <b>");
        assert_eq!(lines[0].task_id.as_deref(), Some("t1"));
        assert_eq!(lines[0].node_id.as_deref(), Some("n1"));
        assert_eq!(
            lines[0].timestamp.as_deref(),
            Some("2026-12-02T10:00:00.000Z")
        );
        assert!(lines[1].stderr && lines[1].text == "oops");
    }

    #[test]
    fn a_huge_line_is_cut_and_the_rest_dropped() {
        let mut decoder = Decoder::new(false);
        let huge = "x".repeat(MAX_LINE * 3);
        let mut input = frame(1, &huge);
        input.extend(frame(1, "next\n"));
        decoder.buffer.extend_from_slice(&input);
        let lines = decoder.lines();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text.chars().count(), MAX_LINE + 1);
        assert_eq!(lines[1].text, "next");
    }
}
