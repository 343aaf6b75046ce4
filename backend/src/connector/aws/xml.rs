//! Just enough XML for AWS Query-protocol answers: the text of named
//! elements, in document order. AWS answers are flat, well-formed and free of
//! CDATA and attributes we need, so no full parser is pulled in.

/// The inner text of every `<tag>…</tag>` in `xml` (namespaces and
/// attributes on the opening tag allowed), nesting not considered.
pub fn all<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        // `<tag>` or `<tag attr…>`, not `<tagLonger>`; `<tag/>` is empty.
        match after.chars().next() {
            Some('>') | Some(' ') => {}
            Some('/') => {
                found.push("");
                rest = after;
                continue;
            }
            _ => {
                rest = after;
                continue;
            }
        }
        let Some(gt) = after.find('>') else { break };
        let body = &after[gt + 1..];
        let Some(end) = matching_close(body, &open, &close) else {
            break;
        };
        found.push(&body[..end]);
        rest = &body[end + close.len()..];
    }
    found
}

/// Where the `close` that ends an element whose content starts `body` is,
/// counting nested elements of the same name.
fn matching_close(body: &str, open: &str, close: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = 0;
    loop {
        let next_close = at + body[at..].find(close)?;
        let next_open = body[at..].find(open).map(|i| at + i).filter(|&i| {
            i < next_close && matches!(body[i + open.len()..].chars().next(), Some('>') | Some(' '))
        });
        match next_open {
            Some(i) => {
                depth += 1;
                at = i + open.len();
            }
            None if depth == 0 => return Some(next_close),
            None => {
                depth -= 1;
                at = next_close + close.len();
            }
        }
    }
}

/// The first `<tag>`'s text, unescaped.
pub fn first(xml: &str, tag: &str) -> Option<String> {
    all(xml, tag).first().map(|t| unescape(t))
}

/// `first`, or an error naming what is missing.
pub fn required(xml: &str, tag: &str, what: &str) -> Result<String, String> {
    first(xml, tag).ok_or_else(|| format!("AWS answered {what} without <{tag}>"))
}

pub fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.trim().to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let Some(semi) = tail.find(';') else {
            out.push_str(tail);
            rest = "";
            break;
        };
        let entity = &tail[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements() {
        let xml = r#"<R xmlns="x"><Arn>a&amp;b</Arn><Arns>no</Arns><Arn a="1">c</Arn><Arn/></R>"#;
        assert_eq!(all(xml, "Arn"), vec!["a&amp;b", "c", ""]);
        assert_eq!(first(xml, "Arn").unwrap(), "a&b");
        let nested = "<m><n>1</n><T><m>x</m></T></m><m><n>2</n></m>";
        assert_eq!(
            all(nested, "m"),
            vec!["<n>1</n><T><m>x</m></T>", "<n>2</n>"]
        );
        assert_eq!(unescape("%7B&quot;x&#34;&#x41;"), "%7B\"x\"A");
    }
}
