//! The contract's cursor connections (`XConnection { edges { cursor node } pageInfo }`).

use async_graphql::SimpleObject;

/// Where a page stands in its list. Pages go forward: pass `endCursor` as the next request's
/// `after` while `hasNextPage` is true.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether more items follow this page.
    pub has_next_page: bool,
    /// The cursor of the page's last item (the next page's `after`); null on an empty page.
    pub end_cursor: Option<String>,
    /// True when the page starts after a cursor (pages go forward only).
    pub has_previous_page: bool,
    /// The cursor of the page's first item; null on an empty page.
    pub start_cursor: Option<String>,
}

/// Declares `$connection` and `$edge` over the GraphQL type `$node`, with a constructor from a
/// [`crate::pagination::Page`] and each item's sort key (wrapped into the opaque cursor).
///
/// Both resolve their fields one after the other (`serial`): each has one field that may wait
/// (`edges`, `node`), and async-graphql's concurrent resolution costs a task of its own per field,
/// on every item of every page. The items of a page still resolve together, so that their
/// loaders batch.
#[macro_export]
macro_rules! connection_type {
    ($connection:ident, $edge:ident, $node:ty) => {
        /// One item of a page, with the cursor that points just after it.
        #[derive(async_graphql::SimpleObject)]
        #[graphql(serial)]
        pub struct $edge {
            /// Opaque; pass it as `after` to continue after this item. Only this server's
            /// cursors are accepted (BAD_USER_INPUT on `after` otherwise).
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        /// One page of a list (`first`: default 20, at most 100), in the list's order.
        #[derive(async_graphql::SimpleObject)]
        #[graphql(serial)]
        pub struct $connection {
            /// The page's items, in order.
            pub edges: Vec<$edge>,
            /// Whether more follow, and the cursors to ask for them.
            pub page_info: $crate::graphql::connection::PageInfo,
        }

        impl $connection {
            pub fn new<U>(
                page: $crate::pagination::Page<U>,
                sort_key: impl Fn(&U) -> String,
                mut view: impl FnMut(U) -> $node,
            ) -> Self {
                let edges: Vec<$edge> = page
                    .items
                    .into_iter()
                    .map(|item| $edge {
                        cursor: $crate::pagination::encode_cursor(&sort_key(&item)),
                        node: view(item),
                    })
                    .collect();
                Self {
                    page_info: $crate::graphql::connection::PageInfo {
                        has_next_page: page.has_next_page,
                        end_cursor: edges.last().map(|edge| edge.cursor.clone()),
                        has_previous_page: page.has_previous_page,
                        start_cursor: edges.first().map(|edge| edge.cursor.clone()),
                    },
                    edges,
                }
            }
        }
    };
}
