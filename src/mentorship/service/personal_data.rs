//! What mentorship holds about a person: its export and its erasure.

use super::*;

/// A person's mentor profile, opt-in, mentorships (either side) with their goals and feedback.
pub struct MentorshipData;
pub static MENTORSHIP_DATA: MentorshipData = MentorshipData;

impl PersonalData for MentorshipData {
    fn name(&self) -> &'static str {
        "mentorship"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[
            PersonColumn {
                table: "mentor_profiles",
                column: "user_id",
            },
            PersonColumn {
                table: "mentee_seeking",
                column: "user_id",
            },
            PersonColumn {
                table: "mentorships",
                column: "mentor_id",
            },
            PersonColumn {
                table: "mentorships",
                column: "mentee_id",
            },
            PersonColumn {
                table: "mentorship_goals",
                column: "created_by",
            },
            PersonColumn {
                table: "mentorship_feedback",
                column: "author_id",
            },
            PersonColumn {
                table: "mentorship_feedback",
                column: "subject_id",
            },
        ]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let user = &person.id;
        let profile = load_profiles(conn, user, std::slice::from_ref(user))?
            .pop()
            .map(|profile| {
                json!({ "headline": profile.row.headline,
                        "areas": profile.areas.iter().map(|area| area.as_str()).collect::<Vec<_>>(),
                        "yearsOfExperience": profile.row.years_of_experience,
                        "capacity": profile.row.capacity,
                        "acceptingMentees": profile.row.accepting_mentees })
            });
        let all = MentorshipStatus::ALL;
        let rows = store::involving(conn, user, all)?;
        let ids: Vec<MentorshipId> = rows.iter().map(|row| row.id.clone()).collect();
        let areas = store::areas_of_mentorships(conn, &ids)?;
        let mentorships: Vec<_> = rows
            .iter()
            .map(|row| {
                let side = if &row.mentor_id == user {
                    "MENTOR"
                } else {
                    "MENTEE"
                };
                let areas: Vec<&str> = areas
                    .get(&row.id)
                    .map(|areas| areas.iter().map(|area| area.as_str()).collect())
                    .unwrap_or_default();
                // The request's message is the mentee's own words.
                let message = (side == "MENTEE").then_some(&row.message);
                json!({ "side": side, "status": row.status.as_str(), "areas": areas,
                        "message": message, "createdAt": instant(row.created_at),
                        "endedAt": row.ended_at.map(instant) })
            })
            .collect();
        let goals: Vec<_> = store::goals_by(conn, user)?
            .into_iter()
            .map(|goal| {
                json!({ "title": goal.title, "createdAt": instant(goal.created_at),
                                "done": goal.done_at.is_some() })
            })
            .collect();
        let feedback: Vec<_> = store::all_feedback_by(conn, user)?
            .into_iter()
            .map(|row| json!({ "rating": row.rating, "note": row.note, "at": instant(row.created_at) }))
            .collect();
        Ok(json!({
            "mentorProfile": profile,
            "seekingAreas": store::seeking_of(conn, user)?.iter().map(|area| area.as_str()).collect::<Vec<_>>(),
            "mentorships": mentorships,
            "goalsSet": goals,
            "feedbackGiven": feedback,
        }))
    }

    /// Open and active mentorships end (the other person told); every mentorship of theirs goes
    /// with its conversation, goals and feedback.
    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        let user = &person.id;
        let now = Utc::now().naive_utc();
        let rows = store::involving(conn, user, MentorshipStatus::ALL)?;
        for row in &rows {
            let text = match row.status {
                MentorshipStatus::Requested if &row.mentee_id == user => {
                    NotificationText::MentorshipWithdrawn
                }
                MentorshipStatus::Requested | MentorshipStatus::Active => {
                    NotificationText::MentorshipEnded
                }
                _ => continue,
            };
            if row.status == MentorshipStatus::Requested {
                cancel_scheduled(conn, &waiting_key(&row.id))?;
            }
            // Read as the erased account's neutral label: nobody to name.
            tell(conn, row.other_than(user), &row.id, text, None)?;
        }
        let ids: Vec<MentorshipId> = rows.iter().map(|row| row.id.clone()).collect();
        for conversation in store::conversations_of_mentorships(conn, &ids)? {
            conversations::delete(conn, &conversation)?;
        }
        for id in &ids {
            store::delete_mentorship(conn, id)?;
        }
        store::replace_seeking(conn, user, &[], now)?;
        store::delete_profile(conn, user)?;
        Ok(())
    }
}
