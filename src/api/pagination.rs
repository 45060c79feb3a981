//! Logto's optional pagination: `page` (≥1) and `page_size` (1–100, default 20), answered
//! with `Total-Number` and RFC 5988 `Link` headers.

use super::Request;
use crate::core::Error;

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;
/// Highest page number accepted: far past any list, and small enough that the offset never
/// overflows a 32-bit `usize` in wasm.
pub const MAX_PAGE: usize = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: usize,
    pub page_size: usize,
}

impl Page {
    pub fn offset(&self) -> usize {
        (self.page - 1).saturating_mul(self.page_size)
    }

    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = self.offset().min(items.len());
        let end = start.saturating_add(self.page_size).min(items.len());
        &items[start..end]
    }
}

fn invalid() -> Error {
    Error::new(
        400,
        "guard.invalid_pagination",
        "The pagination value is invalid: page must be from 1 to 1000000 and page_size from 1 to 100.",
    )
}

fn number(
    value: Option<&str>,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, Error> {
    match value {
        None => Ok(default),
        // Digits only: `+1`, ` 1` or `1.5` are not the integers the document promises.
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse::<usize>().ok().filter(|n| range.contains(n)).ok_or_else(invalid)
        }
        Some(_) => Err(invalid()),
    }
}

/// `None` when neither parameter is given and pagination is optional.
pub fn parse(req: &Request, required: bool) -> Result<Option<Page>, Error> {
    let (page, size) = (req.query("page"), req.query("page_size"));
    if page.is_none() && size.is_none() && !required {
        return Ok(None);
    }
    Ok(Some(Page {
        page: number(page, 1, 1..=MAX_PAGE)?,
        page_size: number(size, DEFAULT_PAGE_SIZE, 1..=MAX_PAGE_SIZE)?,
    }))
}

/// `Total-Number` and `Link` (first, prev, next, last) for `total` items.
pub fn headers(req: &Request, page: Page, total: usize) -> Vec<(String, String)> {
    let last = total.div_ceil(page.page_size).max(1);
    let link = |n: usize, rel: &str| {
        let mut url = url::Url::parse(&format!("{}{}", req.origin, req.path))
            .unwrap_or_else(|_| url::Url::parse("http://localhost/").expect("static URL"));
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in req.query.iter().filter(|(k, _)| k != "page") {
                q.append_pair(k, v);
            }
            q.append_pair("page", &n.to_string());
        }
        format!("<{url}>; rel=\"{rel}\"")
    };
    let mut links = vec![link(1, "first")];
    if page.page > 1 {
        links.push(link(page.page - 1, "prev"));
    }
    if page.page < last {
        links.push(link(page.page + 1, "next"));
    }
    links.push(link(last, "last"));
    vec![("total-number".into(), total.to_string()), ("link".into(), links.join(", "))]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(query: &[(&str, &str)]) -> Request {
        Request {
            origin: "https://hw.example".into(),
            path: "/api/hooks".into(),
            query: query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Request::default()
        }
    }

    #[test]
    fn optional_pagination_is_off_without_parameters() {
        assert_eq!(parse(&req(&[]), false).unwrap(), None);
        assert_eq!(parse(&req(&[]), true).unwrap(), Some(Page { page: 1, page_size: 20 }));
        assert_eq!(parse(&req(&[("page", "2")]), false).unwrap(), Some(Page { page: 2, page_size: 20 }));
    }

    #[test]
    fn out_of_range_values_are_invalid_pagination() {
        for q in [
            ("page", "0"),
            ("page", "-1"),
            ("page", "x"),
            ("page", "+1"),
            ("page", " 1"),
            ("page", "1000001"),
            ("page_size", "0"),
            ("page_size", "101"),
        ] {
            assert_eq!(parse(&req(&[q]), false).unwrap_err().code, "guard.invalid_pagination", "{q:?}");
        }
    }

    #[test]
    fn link_header_has_first_prev_next_last() {
        let r = req(&[("page", "2"), ("page_size", "2"), ("includeExecutionStats", "true")]);
        let h = headers(&r, Page { page: 2, page_size: 2 }, 5);
        assert_eq!(h[0], ("total-number".into(), "5".into()));
        let link = &h[1].1;
        assert!(
            link.contains(
                "<https://hw.example/api/hooks?page_size=2&includeExecutionStats=true&page=1>; rel=\"first\""
            ),
            "{link}"
        );
        assert!(link.contains("page=1>; rel=\"prev\""));
        assert!(link.contains("page=3>; rel=\"next\""));
        assert!(link.contains("page=3>; rel=\"last\""));
        let last_page = headers(&r, Page { page: 3, page_size: 2 }, 5);
        assert!(!last_page[1].1.contains("rel=\"next\""));
    }

    #[test]
    fn slice_takes_the_page() {
        let items = [1, 2, 3, 4, 5];
        assert_eq!(Page { page: 2, page_size: 2 }.slice(&items), &[3, 4]);
        assert_eq!(Page { page: 9, page_size: 2 }.slice(&items), &[] as &[i32]);
    }
}
