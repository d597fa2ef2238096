//! GraphQL answers compressed for clients that ask (`Accept-Encoding`): brotli, else gzip, from
//! 1 KiB up. Smaller answers go as they are: compressing them would cost more than it saves.

use std::io::Write;

use actix_web::http::header::{self, AcceptEncoding, ContentEncoding, Encoding, Header};
use actix_web::{HttpRequest, HttpResponse};

/// The smallest body worth compressing.
pub const COMPRESS_FROM: usize = 1024;

/// Brotli quality 4 and gzip level 5: most of the size saved for a small share of the CPU that
/// the highest levels take (these answers are made once, not cached).
const BROTLI_QUALITY: u32 = 4;
const BROTLI_WINDOW_BITS: u32 = 22;
const GZIP_LEVEL: u32 = 5;

/// A 200 JSON answer holding `body`, compressed when the client accepts it and it is large enough.
pub fn json_answer(request: &HttpRequest, body: Vec<u8>) -> HttpResponse {
    let mut answer = HttpResponse::Ok();
    answer
        .content_type(header::ContentType::json())
        .insert_header((header::VARY, "accept-encoding"));
    if body.len() < COMPRESS_FROM {
        return answer.body(body);
    }
    let supported = [Encoding::brotli(), Encoding::gzip()];
    let chosen = AcceptEncoding::parse(request)
        .ok()
        .and_then(|accepted| accepted.negotiate(supported.iter()));
    let compressed = match chosen {
        Some(encoding) if encoding == Encoding::brotli() => {
            brotli_of(&body).map(|bytes| (ContentEncoding::Brotli, bytes))
        }
        Some(encoding) if encoding == Encoding::gzip() => {
            gzip_of(&body).map(|bytes| (ContentEncoding::Gzip, bytes))
        }
        _ => None,
    };
    match compressed {
        Some((encoding, bytes)) => answer
            .insert_header((header::CONTENT_ENCODING, encoding))
            .body(bytes),
        None => answer.body(body),
    }
}

fn brotli_of(body: &[u8]) -> Option<Vec<u8>> {
    let mut writer = brotli::CompressorWriter::new(
        Vec::with_capacity(body.len() / 4),
        4096,
        BROTLI_QUALITY,
        BROTLI_WINDOW_BITS,
    );
    writer.write_all(body).ok()?;
    writer.flush().ok()?;
    Some(writer.into_inner())
}

fn gzip_of(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::new(GZIP_LEVEL),
    );
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}
