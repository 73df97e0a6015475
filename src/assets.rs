//! Files compiled into the binary, so it runs from any folder and the container image needs
//! nothing beside it. In debug builds rust-embed reads them from disk, so edits show at once.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

#[derive(rust_embed::RustEmbed)]
#[folder = "templates/"]
pub struct Templates;

#[derive(rust_embed::RustEmbed)]
#[folder = "assets/"]
pub struct Assets;

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// `GET /assets/{path}`: embedded static files with a validator and a day of caching;
/// pages reference them with a version query, so a new release is fetched at once.
pub async fn serve_asset(request: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    let Some(file) = Assets::get(&path) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    };
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let matches = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::CONTENT_TYPE, content_type(&path)));
    if matches {
        response.finish()
    } else {
        response.body(file.data.into_owned())
    }
}
