-- When a membership became ACTIVE: a wellbeing release counts only people who were members
-- before its period began.
ALTER TABLE memberships ADD COLUMN active_since TIMESTAMP;
UPDATE memberships SET active_since = created_at WHERE status = 'ACTIVE';

-- A group's wellbeing figure for one period, computed once after the period closed, noised once,
-- and never recomputed: deleting check-ins leaves it as it is. No column names a person.
CREATE TABLE wellbeing_releases (
    group_id TEXT NOT NULL REFERENCES peer_groups (id) ON DELETE CASCADE,
    instrument TEXT NOT NULL,
    period_weeks INTEGER NOT NULL,
    period_start DATE NOT NULL,
    -- null when published; else TOO_FEW or TOO_UNCERTAIN, and the figures are null
    suppression TEXT,
    respondents INTEGER,
    average_score DOUBLE PRECISION,
    margin DOUBLE PRECISION,
    PRIMARY KEY (group_id, instrument, period_weeks, period_start)
);

-- The periods the release job has finished, for every group at once: a finished period without a
-- group's row had no one to count there.
CREATE TABLE wellbeing_periods (
    period_weeks INTEGER NOT NULL,
    period_start DATE NOT NULL,
    released_at TIMESTAMP NOT NULL,
    PRIMARY KEY (period_weeks, period_start)
);
INSERT INTO scheduled_runs (name, last_run_at) VALUES ('wellbeing_release', '1970-01-01 00:00:00');

-- Ratings are shown as released figures too: a figure moves only once three ratings arrived that
-- it does not include yet.
ALTER TABLE workshop_ratings ADD COLUMN released BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE workshops ADD COLUMN released_rating_average DOUBLE PRECISION;
ALTER TABLE workshops ADD COLUMN released_rating_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mentorship_feedback ADD COLUMN released BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE mentor_profiles ADD COLUMN released_rating_average DOUBLE PRECISION;
ALTER TABLE mentor_profiles ADD COLUMN released_rating_count INTEGER NOT NULL DEFAULT 0;

-- What was shown until now (three raters or more) becomes the first release.
UPDATE workshops SET
    released_rating_average = (SELECT AVG(CAST(rating AS DOUBLE PRECISION)) FROM workshop_ratings
                               WHERE workshop_ratings.workshop_id = workshops.id),
    released_rating_count = (SELECT COUNT(*) FROM workshop_ratings
                             WHERE workshop_ratings.workshop_id = workshops.id)
WHERE (SELECT COUNT(*) FROM workshop_ratings WHERE workshop_ratings.workshop_id = workshops.id) >= 3;
UPDATE workshop_ratings SET released = TRUE
WHERE workshop_id IN (SELECT id FROM workshops WHERE released_rating_count > 0);
UPDATE mentor_profiles SET
    released_rating_average = (SELECT AVG(CAST(f.rating AS DOUBLE PRECISION)) FROM mentorship_feedback f
                               JOIN mentorships m ON m.id = f.mentorship_id
                               WHERE f.subject_id = mentor_profiles.user_id
                                 AND m.mentor_id = mentor_profiles.user_id),
    released_rating_count = (SELECT COUNT(*) FROM mentorship_feedback f
                             JOIN mentorships m ON m.id = f.mentorship_id
                             WHERE f.subject_id = mentor_profiles.user_id
                               AND m.mentor_id = mentor_profiles.user_id)
WHERE (SELECT COUNT(*) FROM mentorship_feedback f JOIN mentorships m ON m.id = f.mentorship_id
       WHERE f.subject_id = mentor_profiles.user_id AND m.mentor_id = mentor_profiles.user_id) >= 3;
UPDATE mentorship_feedback SET released = TRUE
WHERE subject_id IN (SELECT user_id FROM mentor_profiles WHERE released_rating_count > 0);
