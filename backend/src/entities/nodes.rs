use sea_orm::entity::prelude::*;

/// A server process sharing the database: announced every beat (`ops::cluster`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "nodes")]
pub struct Model {
    /// `<host>:<pid>:<random>` (`crate::leases::Leases::node_id`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub host: String,
    pub started_at: DateTimeUtc,
    pub seen_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
