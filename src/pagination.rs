//! Cursor pagination shared by every list: `first` (default 20, at most 100) and an opaque
//! `after` cursor that wraps the sort key of the last item seen.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{AppError, AppResult};
use crate::i18n::Message;

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// A sort key a cursor may carry; what does not parse as one was not issued by this server.
pub trait CursorKey: Sized {
    fn from_cursor(key: &str) -> Option<Self>;
}

/// A validated request for one page.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub size: usize,
    /// The decoded cursor after which the page starts; read through [`PageRequest::after`].
    after: Option<String>,
}

impl PageRequest {
    pub fn new(first: Option<i32>, after: Option<&str>) -> AppResult<Self> {
        let size = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(first) if first >= 1 && first as usize <= MAX_PAGE_SIZE => first as usize,
            Some(_) => {
                return Err(AppError::bad_input(
                    "first",
                    Message::NumberBetween {
                        min: 1,
                        max: MAX_PAGE_SIZE as i64,
                    },
                ));
            }
        };
        let after = after.map(decode_cursor).transpose()?;
        Ok(Self { size, after })
    }

    /// The sort key the page starts after; BAD_USER_INPUT on `after` for a cursor this server
    /// did not issue (instead of a silently wrong page).
    pub fn after<K: CursorKey>(&self) -> AppResult<Option<K>> {
        self.after
            .as_deref()
            .map(|key| K::from_cursor(key).ok_or_else(invalid_cursor))
            .transpose()
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        self.size as i64 + 1
    }
}

/// How many items a list without further pages returns: its first `first` (default 20, at most
/// 100, as a page's), so that it costs what a page of that size costs.
pub fn list_size(first: Option<i32>) -> AppResult<usize> {
    Ok(PageRequest::new(first, None)?.size)
}

/// One page of items in order.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    /// Whether items come before this page: it starts after a cursor.
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    /// The page from rows fetched with [`PageRequest::fetch_limit`].
    pub fn from_overfetch(mut rows: Vec<T>, request: &PageRequest) -> Self {
        let has_next_page = rows.len() > request.size;
        rows.truncate(request.size);
        Self {
            items: rows,
            has_next_page,
            has_previous_page: request.after.is_some(),
        }
    }

    /// The page with its items completed as a whole (one batched query for the page).
    pub fn try_map_items<U, E>(
        self,
        complete: impl FnOnce(Vec<T>) -> Result<Vec<U>, E>,
    ) -> Result<Page<U>, E> {
        Ok(Page {
            items: complete(self.items)?,
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
        })
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
        }
    }
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

fn invalid_cursor() -> AppError {
    AppError::bad_input("after", Message::InvalidCursor)
}

fn decode_cursor(cursor: &str) -> AppResult<String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(invalid_cursor)
}
