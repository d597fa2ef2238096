//! Tests of a TEXT column against a list, with the whole list as one bind parameter, so that the
//! statement's text is the same whatever the list's length and diesel prepares it once per
//! connection: `column.one_of(values)` and `column.contains_every(words)`.
//!
//! Diesel's `eq_any` writes one parameter per value on SQLite (`IN (?, ?, …)`), a text that
//! changes with the length, so it never caches those statements: a profile of the groups page
//! found a third of the server's time preparing them. Here SQLite reads the list from a JSON array
//! (`json_each(?)`) and PostgreSQL from an array (`= ANY(?)`, `unnest(?)`).

use std::marker::PhantomData;

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Nullable, Text};
use diesel::sqlite::Sqlite;

use super::connection::MultiBackend;

/// The SQL types of the columns these tests take: TEXT, nullable or not.
pub trait StoredAsText {}

impl StoredAsText for Text {}
impl StoredAsText for Nullable<Text> {}

/// Lets a TEXT column be tested against a list: `memberships::group_id.one_of(&ids)`.
pub trait TextListExt: Expression + Sized
where
    Self::SqlType: StoredAsText,
{
    /// True where the column's value is one of `values` (never for an empty list).
    fn one_of<T: AsRef<str>>(self, values: impl IntoIterator<Item = T>) -> ListTest<Self, OneOf> {
        ListTest::new(self, values)
    }

    /// True where the column's value contains each of `words` (always for an empty list).
    fn contains_every<T: AsRef<str>>(
        self,
        words: impl IntoIterator<Item = T>,
    ) -> ListTest<Self, ContainsEvery> {
        ListTest::new(self, words)
    }
}

impl<C> TextListExt for C
where
    C: Expression,
    C::SqlType: StoredAsText,
{
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

/// How a [`ListTest`] is written on each backend, given the column and the list's bind.
pub trait ListTestKind: Send + Sync + 'static {
    fn sqlite<'b>(
        column: &'b dyn QueryFragment<Sqlite>,
        json: &'b str,
        out: AstPass<'_, 'b, Sqlite>,
    ) -> diesel::QueryResult<()>;

    fn pg<'b>(
        column: &'b dyn QueryFragment<Pg>,
        values: &'b [String],
        out: AstPass<'_, 'b, Pg>,
    ) -> diesel::QueryResult<()>;
}

/// `column IN (list)`.
#[derive(Debug, Clone, Copy)]
pub struct OneOf;

impl ListTestKind for OneOf {
    fn sqlite<'b>(
        column: &'b dyn QueryFragment<Sqlite>,
        json: &'b str,
        mut out: AstPass<'_, 'b, Sqlite>,
    ) -> diesel::QueryResult<()> {
        column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, _>(json)?;
        out.push_sql("))");
        Ok(())
    }

    fn pg<'b>(
        column: &'b dyn QueryFragment<Pg>,
        values: &'b [String],
        mut out: AstPass<'_, 'b, Pg>,
    ) -> diesel::QueryResult<()> {
        column.walk_ast(out.reborrow())?;
        out.push_sql(" = ANY(");
        out.push_bind_param::<Array<Text>, _>(values)?;
        out.push_sql(")");
        Ok(())
    }
}

/// No word of the list is missing from the column's value (plain substrings: no pattern
/// characters to escape, and a plan that no bound value can change).
#[derive(Debug, Clone, Copy)]
pub struct ContainsEvery;

impl ListTestKind for ContainsEvery {
    fn sqlite<'b>(
        column: &'b dyn QueryFragment<Sqlite>,
        json: &'b str,
        mut out: AstPass<'_, 'b, Sqlite>,
    ) -> diesel::QueryResult<()> {
        // The empty list's test is a constant, which SQLite computes once per statement rather
        // than opening `json_each` for every row.
        out.push_sql("(");
        out.push_bind_param::<Text, _>(json)?;
        out.push_sql(" = '[]' OR NOT EXISTS (SELECT 1 FROM json_each(");
        out.push_bind_param::<Text, _>(json)?;
        out.push_sql(") AS word WHERE instr(");
        column.walk_ast(out.reborrow())?;
        out.push_sql(", word.value) = 0))");
        Ok(())
    }

    fn pg<'b>(
        column: &'b dyn QueryFragment<Pg>,
        values: &'b [String],
        mut out: AstPass<'_, 'b, Pg>,
    ) -> diesel::QueryResult<()> {
        out.push_sql("(cardinality(");
        out.push_bind_param::<Array<Text>, _>(values)?;
        out.push_sql(") = 0 OR NOT EXISTS (SELECT 1 FROM unnest(");
        out.push_bind_param::<Array<Text>, _>(values)?;
        out.push_sql(") AS word (value) WHERE strpos(");
        column.walk_ast(out.reborrow())?;
        out.push_sql(", word.value) = 0))");
        Ok(())
    }
}

/// The expression [`TextListExt`]'s methods build.
#[derive(Debug, Clone)]
pub struct ListTest<C, K> {
    column: C,
    /// The list, as PostgreSQL binds it.
    values: Vec<String>,
    /// The list as a JSON array, as SQLite binds it.
    json: String,
    kind: PhantomData<K>,
}

impl<C, K> ListTest<C, K> {
    fn new<T: AsRef<str>>(column: C, values: impl IntoIterator<Item = T>) -> Self {
        let values = texts(values);
        let json = json_list(&values);
        Self {
            column,
            values,
            json,
            kind: PhantomData,
        }
    }
}

impl<C: Expression, K> Expression for ListTest<C, K> {
    type SqlType = Bool;
}

impl<C, K, QS> AppearsOnTable<QS> for ListTest<C, K> where C: AppearsOnTable<QS> {}

impl<C, K, QS> SelectableExpression<QS> for ListTest<C, K> where C: SelectableExpression<QS> {}

impl<C, K, GroupBy> ValidGrouping<GroupBy> for ListTest<C, K>
where
    C: ValidGrouping<GroupBy>,
{
    type IsAggregate = C::IsAggregate;
}

impl<C: QueryId, K: ListTestKind> QueryId for ListTest<C, K> {
    type QueryId = ListTest<C::QueryId, K>;
    // The text does not depend on the list: the statement is cached by its type.
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<C: QueryFragment<Sqlite>, K: ListTestKind> QueryFragment<Sqlite> for ListTest<C, K> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Sqlite>) -> diesel::QueryResult<()> {
        K::sqlite(&self.column, &self.json, out)
    }
}

impl<C: QueryFragment<Pg>, K: ListTestKind> QueryFragment<Pg> for ListTest<C, K> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        K::pg(&self.column, &self.values, out)
    }
}

impl<C, K> QueryFragment<MultiBackend> for ListTest<C, K>
where
    C: QueryFragment<Sqlite> + QueryFragment<Pg>,
    K: ListTestKind,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, MultiBackend>) -> diesel::QueryResult<()> {
        MultiBackend::walk_variant_ast(self, pass)
    }
}
