//! `session.catalog()`: the session's tables and views (Spark's `spark.catalog`).

use super::show::spark_type_name;
use crate::error::{Error, Result};
use crate::session::Session;
use datafusion::datasource::TableType;

/// A table or view of the session (Spark's `catalog.Table`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Its name.
    pub name: String,
    /// `TEMPORARY` for views made with `create_or_replace_temp_view` or `CREATE TEMP VIEW`, `MANAGED` for tables
    /// saved with `save_as_table`.
    pub table_type: String,
    /// Whether it lives only as long as the session.
    pub is_temporary: bool,
}

/// A column of a table (Spark's `catalog.Column`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumn {
    /// Its name.
    pub name: String,
    /// Spark's name of its type (`int`, `string`, …).
    pub data_type: String,
    /// Whether it may hold nulls.
    pub nullable: bool,
}

/// The session's catalog; see [`Session::catalog`].
#[derive(Debug, Clone)]
pub struct Catalog {
    session: Session,
}

impl Catalog {
    /// Every table and view, sorted by name (Spark's `listTables`).
    pub fn list_tables(&self) -> Result<Vec<Table>> {
        let state = self.session.ctx.sql_state()?;
        let mut tables = Vec::new();
        for catalog in state.ctx.catalog_names().into_iter().filter_map(|c| state.ctx.catalog(&c)) {
            for schema in catalog.schema_names().into_iter().filter(|s| s != "information_schema") {
                let Some(schema) = catalog.schema(&schema) else { continue };
                for name in schema.table_names() {
                    let kind = state.block_on(schema.table(&name))?.map(|t| t.table_type());
                    let is_temporary = !matches!(kind, Some(TableType::Base));
                    let table_type = if is_temporary { "TEMPORARY" } else { "MANAGED" }.to_string();
                    tables.push(Table { name, table_type, is_temporary });
                }
            }
        }
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tables)
    }

    /// Whether a table or view of that name exists (Spark's `tableExists`).
    pub fn table_exists(&self, name: &str) -> Result<bool> {
        Ok(self.session.ctx.sql_state()?.ctx.table_exist(name)?)
    }

    /// The columns of a table or view (Spark's `listColumns`).
    pub fn list_columns(&self, table: &str) -> Result<Vec<TableColumn>> {
        if !self.table_exists(table)? {
            return Err(Error::Plan(format!(
                "[TABLE_OR_VIEW_NOT_FOUND] The table or view `{table}` cannot be found; the session has: {}",
                self.list_tables()?.into_iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
            )));
        }
        let schema = self.session.table(table)?.schema();
        Ok(schema
            .fields()
            .iter()
            .map(|f| TableColumn {
                name: f.name().clone(),
                data_type: spark_type_name(f.data_type()),
                nullable: f.is_nullable(),
            })
            .collect())
    }

    /// Drops a temporary view; `false` if there was none (Spark's `dropTempView`).
    pub fn drop_temp_view(&self, name: &str) -> Result<bool> {
        Ok(self.session.ctx.sql_state()?.ctx.deregister_table(name)?.is_some())
    }
}

impl Session {
    /// The session's tables and views.
    ///
    /// ```
    /// use flint_engine::prelude::*;
    ///
    /// let session = Session::builder().master("local[2]").build()?;
    /// session.range_df(3)?.create_or_replace_temp_view("ids")?;
    /// let tables = session.catalog().list_tables()?;
    /// assert_eq!((tables[0].name.as_str(), tables[0].is_temporary), ("ids", true));
    /// assert_eq!(session.catalog().list_columns("ids")?[0].data_type, "bigint");
    /// assert!(session.catalog().drop_temp_view("ids")?);
    /// # Ok::<(), flint_engine::Error>(())
    /// ```
    pub fn catalog(&self) -> Catalog {
        Catalog { session: self.clone() }
    }
}
