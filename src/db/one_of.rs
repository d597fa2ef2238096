//! `column IN (list)` with the whole list as one bind parameter, so that the statement's text is
//! the same whatever the list's length and diesel prepares it once per connection.
//!
//! Diesel's `eq_any` writes one parameter per value on SQLite (`IN (?, ?, …)`), a text that
//! changes with the length, so it never caches those statements: a profile of the groups page
//! found a third of the server's time preparing them. Here SQLite reads the list from a JSON array
//! (`IN (SELECT value FROM json_each(?))`) and PostgreSQL from an array (`= ANY(?)`, as diesel
//! does there too).

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Nullable, Text};
use diesel::sqlite::Sqlite;

use super::connection::MultiBackend;

/// The SQL types of the columns [`OneOfExt`] compares: TEXT, nullable or not.
pub trait StoredAsText {}

impl StoredAsText for Text {}
impl StoredAsText for Nullable<Text> {}

/// Lets a TEXT column be compared with a list: `memberships::group_id.one_of(&ids)`.
pub trait OneOfExt: Expression + Sized
where
    Self::SqlType: StoredAsText,
{
    /// True where the column's value is one of `values` (never for an empty list).
    fn one_of<T: AsRef<str>>(self, values: impl IntoIterator<Item = T>) -> OneOf<Self> {
        let values = texts(values);
        let json = json_list(&values);
        OneOf {
            column: self,
            values,
            json,
        }
    }
}

/// A list of texts as PostgreSQL binds it (an array), for queries written by hand.
pub fn texts<T: AsRef<str>>(values: impl IntoIterator<Item = T>) -> Vec<String> {
    values
        .into_iter()
        .map(|value| value.as_ref().to_owned())
        .collect()
}

/// A list of texts as SQLite reads it (`json_each(?)`), for queries written by hand.
pub fn json_list<T: AsRef<str>>(values: impl IntoIterator<Item = T>) -> String {
    let values: Vec<T> = values.into_iter().collect();
    let values: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
    // A JSON array of strings cannot fail to serialise.
    serde_json::to_string(&values).unwrap_or_else(|_| "[]".to_owned())
}

impl<C> OneOfExt for C
where
    C: Expression,
    C::SqlType: StoredAsText,
{
}

/// The expression [`OneOfExt::one_of`] builds.
#[derive(Debug, Clone)]
pub struct OneOf<C> {
    column: C,
    /// The list, as PostgreSQL binds it.
    values: Vec<String>,
    /// The list as a JSON array, as SQLite binds it.
    json: String,
}

impl<C: Expression> Expression for OneOf<C> {
    type SqlType = Bool;
}

impl<C, QS> AppearsOnTable<QS> for OneOf<C> where C: AppearsOnTable<QS> {}

impl<C, QS> SelectableExpression<QS> for OneOf<C> where C: SelectableExpression<QS> {}

impl<C, GroupBy> ValidGrouping<GroupBy> for OneOf<C>
where
    C: ValidGrouping<GroupBy>,
{
    type IsAggregate = C::IsAggregate;
}

impl<C: QueryId> QueryId for OneOf<C> {
    type QueryId = OneOf<C::QueryId>;
    // The text does not depend on the list: the statement is cached by its type.
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for OneOf<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> diesel::QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, _>(&self.json)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C: QueryFragment<Pg>> QueryFragment<Pg> for OneOf<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" = ANY(");
        out.push_bind_param::<Array<Text>, _>(&self.values)?;
        out.push_sql(")");
        Ok(())
    }
}

impl<C> QueryFragment<MultiBackend> for OneOf<C>
where
    C: QueryFragment<Sqlite> + QueryFragment<Pg>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, MultiBackend>) -> diesel::QueryResult<()> {
        MultiBackend::walk_variant_ast(self, pass)
    }
}
