//! Method parameters, read the way the Bot API reads them: from the query string and
//! from a JSON, urlencoded or multipart body. Nested values (reply_markup,
//! allowed_updates, commands) may arrive as JSON objects or as JSON text in a string.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use serde_json::{Map, Value};

#[derive(Debug, Default, Clone)]
pub struct Params(pub Map<String, Value>);

/// Upper bound on a request body; Telegram's own is 50 MB for uploads, ours is a simulator.
pub const MAX_BODY: usize = 20 * 1024 * 1024;

impl Params {
    pub async fn from_request(req: Request) -> Result<Params, ApiError> {
        let mut map = Map::new();
        if let Some(q) = req.uri().query() {
            for (k, v) in form_urlencoded_pairs(q) {
                map.insert(k, Value::String(v));
            }
        }
        let content_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let mut mp = Multipart::from_request(req, &())
                .await
                .map_err(|_| ApiError::bad_request("can't parse multipart body"))?;
            while let Some(field) = mp
                .next_field()
                .await
                .map_err(|_| ApiError::bad_request("can't parse multipart body"))?
            {
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().map(str::to_owned);
                let data = field
                    .bytes()
                    .await
                    .map_err(|_| ApiError::bad_request("can't parse multipart body"))?;
                let value = match file_name {
                    Some(f) => Value::String(format!("attach://upload/{f}/{}", data.len())),
                    None => Value::String(String::from_utf8_lossy(&data).into_owned()),
                };
                map.insert(name, value);
            }
            return Ok(Params(map));
        }
        let body: Bytes = axum::body::to_bytes(req.into_body(), MAX_BODY)
            .await
            .map_err(|_| ApiError::new(413, "Request Entity Too Large"))?;
        if body.is_empty() {
            return Ok(Params(map));
        }
        if content_type.starts_with("application/json") {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(obj)) => map.extend(obj),
                _ => return Err(ApiError::bad_request("can't parse JSON object")),
            }
        } else {
            let text = std::str::from_utf8(&body)
                .map_err(|_| ApiError::bad_request("can't parse request body"))?;
            for (k, v) in form_urlencoded_pairs(text) {
                map.insert(k, Value::String(v));
            }
        }
        Ok(Params(map))
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.get(key).is_some_and(|v| !v.is_null())
    }

    /// A text parameter (numbers are accepted as their text).
    pub fn str(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn i64(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::bad_request(&format!("invalid {key}"))),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request(&format!("invalid {key} specified"))),
            Some(_) => Err(ApiError::bad_request(&format!("invalid {key} specified"))),
        }
    }

    pub fn bool(&self, key: &str) -> Result<bool, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) => match s.as_str() {
                "true" | "True" | "1" => Ok(true),
                "false" | "False" | "0" | "" => Ok(false),
                _ => Err(ApiError::bad_request(&format!("invalid {key} specified"))),
            },
            Some(Value::Number(n)) => Ok(n.as_i64() != Some(0)),
            Some(_) => Err(ApiError::bad_request(&format!("invalid {key} specified"))),
        }
    }

    /// A structured parameter: a JSON value, or JSON text in a string.
    pub fn json(&self, key: &str) -> Result<Option<Value>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s)
                .map(Some)
                .map_err(|_| ApiError::bad_request(&format!("can't parse {key} JSON object"))),
            Some(v) => Ok(Some(v.clone())),
        }
    }
}

/// `application/x-www-form-urlencoded` pairs, percent- and plus-decoded.
pub fn form_urlencoded_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms() {
        assert_eq!(
            form_urlencoded_pairs("a=1&text=hello+w%C3%B6rld%21&bad=%zz&end=%4"),
            vec![
                ("a".into(), "1".into()),
                ("text".into(), "hello wörld!".into()),
                ("bad".into(), "%zz".into()),
                ("end".into(), "%4".into()),
            ]
        );
    }
}
