//! QR codes for letters, admission slips and the projector's join link, drawn by the server
//! as SVG so no page loads a script or a service from elsewhere. The `qrcode` crate makes
//! the code; we draw it as one path of horizontal runs (a tenth of the size of one
//! rectangle per dark module, which matters on a sheet of a thousand slips).
use base64::Engine;
use qrcode::{Color, EcLevel, QrCode};

/// An SVG QR code of `text`, as a `data:` URI an `<img>` can show under the pages' strict
/// content security policy. Medium error correction survives a crease or a smudge on paper.
pub fn svg_data_uri(text: &str) -> Result<String, crate::errors::AppError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| crate::errors::AppError::internal(format!("QR code of {} bytes: {e}", text.len())))?;
    let width = code.width();
    let colors = code.to_colors();
    // Four modules of quiet zone on every side, as the standard asks.
    let size = width + 8;
    let mut path = String::new();
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if colors[y * width + x] == Color::Dark {
                let start = x;
                while x < width && colors[y * width + x] == Color::Dark {
                    x += 1;
                }
                path.push_str(&format!("M{} {}h{}v1h-{}z", start + 4, y + 4, x - start, x - start));
            } else {
                x += 1;
            }
        }
    }
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    );
    Ok(format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qr_code_is_a_small_svg_data_uri() {
        let uri = svg_data_uri("https://vote.example.gov.uk/go#K7QFM2XD9PRT").unwrap();
        assert!(uri.starts_with("data:image/svg+xml;base64,"));
        assert!(uri.len() < 6000, "{} bytes", uri.len());
        let svg = base64::engine::general_purpose::STANDARD.decode(&uri["data:image/svg+xml;base64,".len()..]).unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("<path d=\"M"));
    }

    #[test]
    fn the_path_draws_exactly_the_dark_modules() {
        let text = "https://vote.example.gov.uk/go#K7QF2M";
        let uri = svg_data_uri(text).unwrap();
        let svg = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(&uri["data:image/svg+xml;base64,".len()..]).unwrap())
            .unwrap();
        let d = svg.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap();
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).unwrap();
        let width = code.width();
        let mut drawn = vec![Color::Light; width * width];
        for run in d.split('M').filter(|r| !r.is_empty()) {
            // "x yhNv1h-Nz"
            let (xy, rest) = run.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let (x, y): (usize, usize) = (x.parse::<usize>().unwrap() - 4, y.parse::<usize>().unwrap() - 4);
            let n: usize = rest.split('v').next().unwrap().parse().unwrap();
            for i in 0..n {
                drawn[y * width + x + i] = Color::Dark;
            }
        }
        assert_eq!(drawn, code.to_colors());
    }
}
