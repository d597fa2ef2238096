//! The contract's cursor connections (`XConnection { edges { cursor node } pageInfo }`).

use async_graphql::SimpleObject;

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
    /// True when the page starts after a cursor (pages go forward only).
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
}

/// Declares `$connection` and `$edge` over the GraphQL type `$node`, with a constructor from a
/// [`crate::pagination::Page`] and each item's sort key (wrapped into the opaque cursor).
#[macro_export]
macro_rules! connection_type {
    ($connection:ident, $edge:ident, $node:ty) => {
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        #[derive(async_graphql::SimpleObject)]
        pub struct $connection {
            pub edges: Vec<$edge>,
            pub page_info: $crate::graphql::connection::PageInfo,
        }

        impl $connection {
            pub fn new<U>(
                page: $crate::pagination::Page<U>,
                sort_key: impl Fn(&U) -> String,
                view: impl Fn(U) -> $node,
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
