//! Length-prefixed byte frames for Shoal's request-response protocols. The codec only
//! frames (u32 big-endian length, then the bytes) and refuses frames above a limit
//! before reading them; decoding the message itself happens at the boundary in the
//! event loop, with `shoal_protocol::wire`.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

/// Admission exchange (`Hello` both ways).
pub const ADMISSION_PROTOCOL: StreamProtocol = StreamProtocol::new("/shoal/admission/1");
/// Anti-entropy sync (heads and leaves).
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/shoal/sync/1");

/// A request-response codec of opaque frames with separate request and response limits.
#[derive(Debug, Clone, Copy)]
pub struct FrameCodec {
    /// Largest request frame read.
    pub max_request: usize,
    /// Largest response frame read.
    pub max_response: usize,
}

async fn read_frame<T: AsyncRead + Unpin + Send>(io: &mut T, max: usize) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes exceeds the limit of {max}"),
        ));
    }
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    Ok(buf)
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(io: &mut T, data: &[u8]) -> io::Result<()> {
    let len = u32::try_from(data.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(data).await?;
    io.close().await
}

impl libp2p::request_response::Codec for FrameCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        // request-response drops failed inbound reads silently, so an oversized request
        // is handed on as an empty frame (which no valid message is, unread): the
        // handler then refuses it and charges the sender as malformed.
        match read_frame(io, self.max_request).await {
            Err(e) if e.kind() == io::ErrorKind::InvalidData => Ok(Vec::new()),
            other => other,
        }
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io, self.max_response).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &req).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &res).await
    }
}
