//! What workshops hold about a person: its export and its erasure.

use super::*;

/// A person's registrations, ratings, calendar feed, and the workshops they organise.
pub struct WorkshopsData;
pub static WORKSHOPS_DATA: WorkshopsData = WorkshopsData;

impl PersonalData for WorkshopsData {
    fn name(&self) -> &'static str {
        "workshops"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[
            PersonColumn {
                table: "workshops",
                column: "organiser_id",
            },
            PersonColumn {
                table: "workshop_registrations",
                column: "user_id",
            },
            PersonColumn {
                table: "workshop_ratings",
                column: "user_id",
            },
            PersonColumn {
                table: "calendar_feeds",
                column: "user_id",
            },
        ]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let user = &person.id;
        let registrations = store::all_registrations_of(conn, user, i64::MAX)?;
        let ids: Vec<WorkshopId> = registrations
            .iter()
            .map(|row| row.workshop_id.clone())
            .collect();
        let titles: HashMap<WorkshopId, WorkshopRow> = store::workshops_by_id(conn, &ids)?
            .into_iter()
            .map(|row| (row.id.clone(), row))
            .collect();
        let described = |id: &WorkshopId| {
            titles.get(id).map(|row| {
                json!({ "title": row.title, "startsAt": instant(row.starts_at), "endsAt": instant(row.ends_at) })
            })
        };
        let registrations: Vec<_> = registrations
            .iter()
            .map(|row| {
                json!({ "workshop": described(&row.workshop_id), "status": row.status.as_str(),
                        "attended": row.attended, "certificateCode": row.certificate_code,
                        "registeredAt": instant(row.created_at) })
            })
            .collect();
        let ratings: Vec<_> = store::ratings_by(conn, user)?
            .into_iter()
            .map(|(workshop, rating, comment, at)| {
                json!({ "workshop": workshop, "rating": rating, "comment": comment, "at": instant(at) })
            })
            .collect();
        let organised: Vec<_> = store::organised_by(conn, user)?
            .into_iter()
            .map(|row| {
                json!({ "title": row.title, "startsAt": instant(row.starts_at),
                        "status": row.status.as_str() })
            })
            .collect();
        Ok(json!({
            "registrations": registrations,
            "ratings": ratings,
            "organised": organised,
            "calendarFeedCreatedAt": store::feed_created(conn, user)?.map(instant),
        }))
    }

    /// Seats they held go to the next people waiting; workshops of theirs still ahead are
    /// cancelled (registrants told); past ones stay for their attendees' records, without them.
    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        let user = &person.id;
        let now = Utc::now().naive_utc();
        let organised = store::upcoming_organised_by(conn, user, now)?;
        let seats: Vec<WorkshopId> = store::all_registrations_of(conn, user, i64::MAX)?
            .into_iter()
            .filter(|row| row.status == RegistrationStatus::Confirmed)
            .map(|row| row.workshop_id)
            .collect();
        // Parents first, in id order, as every workshop rule takes them.
        lock_in_order(conn, organised.iter().map(|row| &row.id).chain(&seats))?;
        for workshop in organised {
            cancel_workshop_row(conn, workshop, None, now)?;
        }
        store::forget_organiser(conn, user)?;
        store::delete_ratings_of(conn, user)?;
        store::delete_registrations_of(conn, user)?;
        store::delete_feed_of(conn, user)?;
        for id in &seats {
            if let Some(workshop) = store::workshop(conn, id)?
                && workshop.status == WorkshopStatus::Scheduled
                && !workshop.has_started(now)
            {
                fill_free_seats(conn, &workshop, now)?;
            }
        }
        Ok(())
    }
}
