use std::io::Read;
use std::io::Result as IoResult;
use std::sync::Arc;

use crate::limits::{ConnState, UNKNOWN_REST};

/// A `Reader` that reads exactly the number of bytes from a sub-reader.
///
/// If the limit is reached, it returns EOF. If the limit is not reached when the reader is
/// dropped, the count of bytes left is handed to the connection, whose own thread discards
/// them (within its bounds) or closes the connection. Dropping never reads: the thread
/// that drops a request (a handler's) is never held by a client that does not send.
pub struct EqualReader<R>
where
    R: Read,
{
    reader: R,
    size: usize,
    conn: Option<Arc<ConnState>>,
}

impl<R> EqualReader<R>
where
    R: Read,
{
    pub(crate) fn new(reader: R, size: usize, conn: Option<Arc<ConnState>>) -> EqualReader<R> {
        EqualReader { reader, size, conn }
    }
}

impl<R> Read for EqualReader<R>
where
    R: Read,
{
    fn read(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        if self.size == 0 {
            return Ok(0);
        }

        let buf = if buf.len() < self.size {
            buf
        } else {
            &mut buf[..self.size]
        };

        match self.reader.read(buf) {
            Ok(0) => {
                // The client closed before sending the whole body.
                self.size = 0;
                if let Some(conn) = &self.conn {
                    conn.close_after_response();
                }
                Ok(0)
            }
            Ok(len) => {
                self.size -= len;
                Ok(len)
            }
            err @ Err(_) => err,
        }
    }
}

impl<R> Drop for EqualReader<R>
where
    R: Read,
{
    fn drop(&mut self) {
        if self.size > 0 {
            if let Some(conn) = &self.conn {
                conn.body_left_unread(self.size);
            }
        }
    }
}

/// Wraps a chunked body: dropped before its end, it tells the connection that the next
/// request cannot be found (the rest has no known length), so the connection closes.
pub struct ChunkedBody<R: Read> {
    inner: R,
    done: bool,
    conn: Option<Arc<ConnState>>,
}

impl<R: Read> ChunkedBody<R> {
    pub(crate) fn new(inner: R, conn: Option<Arc<ConnState>>) -> ChunkedBody<R> {
        ChunkedBody {
            inner,
            done: false,
            conn,
        }
    }
}

impl<R: Read> Read for ChunkedBody<R> {
    fn read(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        if self.done {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.done = true;
        }
        Ok(n)
    }
}

impl<R: Read> Drop for ChunkedBody<R> {
    fn drop(&mut self) {
        if !self.done {
            if let Some(conn) = &self.conn {
                conn.body_left_unread(UNKNOWN_REST);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EqualReader;
    use std::io::Read;

    #[test]
    fn test_limit() {
        use std::io::Cursor;

        let mut org_reader = Cursor::new("hello world".to_string().into_bytes());

        {
            let mut equal_reader = EqualReader::new(org_reader.by_ref(), 5, None);

            let mut string = String::new();
            equal_reader.read_to_string(&mut string).unwrap();
            assert_eq!(string, "hello");
        }

        let mut string = String::new();
        org_reader.read_to_string(&mut string).unwrap();
        assert_eq!(string, " world");
    }

    #[test]
    fn dropping_a_body_reader_reads_nothing_and_reports_the_rest() {
        use crate::limits::{ConnState, Limits};
        use std::io::Cursor;
        use std::sync::Arc;

        let mut org_reader = Cursor::new("hello world".to_string().into_bytes());
        let conn = Arc::new(ConnState::new(&Limits::default(), None));

        {
            let mut equal_reader = EqualReader::new(org_reader.by_ref(), 5, Some(conn.clone()));

            let mut vec = [0];
            equal_reader.read_exact(&mut vec).unwrap();
            assert_eq!(vec[0], b'h');
        }

        assert_eq!(conn.take_unread_body(), 4);
        let mut string = String::new();
        org_reader.read_to_string(&mut string).unwrap();
        assert_eq!(string, "ello world");
    }

    #[test]
    fn a_chunked_body_dropped_midway_asks_to_close() {
        use super::ChunkedBody;
        use crate::limits::{ConnState, Limits, UNKNOWN_REST};
        use std::io::Cursor;
        use std::sync::Arc;

        let conn = Arc::new(ConnState::new(&Limits::default(), None));
        drop(ChunkedBody::new(
            Cursor::new(vec![1u8; 10]),
            Some(conn.clone()),
        ));
        assert_eq!(conn.take_unread_body(), UNKNOWN_REST);

        let mut whole = ChunkedBody::new(Cursor::new(vec![1u8; 10]), Some(conn.clone()));
        std::io::copy(&mut whole, &mut std::io::sink()).unwrap();
        drop(whole);
        assert_eq!(conn.take_unread_body(), 0);
    }
}
