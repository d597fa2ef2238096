//! The documents workshops give outside the API: iCalendar events (RFC 5545) and attendance
//! certificates, as an HTML page to print and as JSON to verify.

use html_escape::encode_text;
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};
use serde_json::{Value, json};

use super::model::{WorkshopRow, WorkshopStatus};
use super::service::{CalendarEntry, Certificate};
use crate::i18n::{DocumentText, Locale, Localized, Message};

/// How often a subscribed calendar should fetch the feed again.
const FEED_REFRESH_HOURS: i64 = 1;

/// One workshop as a calendar file, to add to a calendar once.
pub fn workshop_calendar(entry: &CalendarEntry, locale: Locale) -> String {
    calendar_of(std::slice::from_ref(entry), locale).to_string()
}

/// The personal feed a calendar subscribes to: it polls it, and updates each event in place
/// since an event's UID stays the same across changes.
pub fn feed_calendar(entries: &[CalendarEntry], locale: Locale) -> String {
    calendar_of(entries, locale)
        .name(&DocumentText::CalendarName.render(locale))
        .ttl(&chrono::Duration::hours(FEED_REFRESH_HOURS))
        .done()
        .to_string()
}

fn calendar_of(entries: &[CalendarEntry], locale: Locale) -> Calendar {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", "-//Relais//Workshops//FR"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"));
    for entry in entries {
        calendar.push(event(entry, locale));
    }
    calendar.done()
}

fn event(entry: &CalendarEntry, locale: Locale) -> Event {
    let workshop = &entry.workshop;
    let mut event = Event::new();
    event
        .uid(&format!("workshop-{}@relais", workshop.id))
        .summary(&workshop.title)
        .starts(workshop.starts_at.and_utc())
        .ends(workshop.ends_at.and_utc())
        .timestamp(workshop.updated_at.and_utc())
        .last_modified(workshop.updated_at.and_utc())
        .status(match workshop.status {
            WorkshopStatus::Scheduled => EventStatus::Confirmed,
            WorkshopStatus::Cancelled => EventStatus::Cancelled,
        })
        .description(&description(workshop, entry.with_link, locale));
    let online_url = workshop.online_url.as_deref().filter(|_| entry.with_link);
    match (&workshop.location, online_url) {
        (Some(location), _) => event.location(location),
        (None, Some(url)) => event.location(url),
        (None, None) => &mut event,
    };
    if let Some(url) = online_url {
        event.url(url);
    }
    event.done()
}

/// The description, then for insiders the link and what to prepare.
fn description(workshop: &WorkshopRow, with_link: bool, locale: Locale) -> String {
    let mut text = workshop.description.clone();
    if with_link {
        let extras = [
            workshop
                .online_url
                .clone()
                .map(|url| DocumentText::OnlineLink { url }),
            workshop
                .materials
                .clone()
                .map(|text| DocumentText::Materials { text }),
        ];
        for extra in extras.into_iter().flatten() {
            text.push_str("\n\n");
            text.push_str(&extra.render(locale));
        }
    }
    text
}

/// Where anyone holding the code checks a certificate.
pub fn verification_url(public_url: &str, code: &str) -> String {
    format!("{}/certificates/{code}", public_url.trim_end_matches('/'))
}

/// The certificate as a page to print or save as PDF.
pub fn certificate_page(certificate: &Certificate, public_url: &str, locale: Locale) -> String {
    let workshop = &certificate.workshop;
    let title = DocumentText::CertificateTitle.render(locale);
    let statement = DocumentText::CertificateStatement {
        name: certificate.attendee.clone(),
        title: workshop.title.clone(),
        date: workshop.local_start_date(),
        hours: workshop.hours(),
    }
    .render(locale);
    let organiser = DocumentText::CertificateOrganiser {
        name: certificate
            .organiser
            .clone()
            .unwrap_or_else(|| Message::ErasedAccount.render(locale)),
    }
    .render(locale);
    let code = DocumentText::CertificateCode {
        code: certificate.code.clone(),
    }
    .render(locale);
    let check = DocumentText::CertificateCheck {
        url: verification_url(public_url, &certificate.code),
    }
    .render(locale);
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>\
         body{{font-family:serif;max-width:40em;margin:4em auto;line-height:1.6}}\
         h1{{text-align:center}}.code{{font-family:monospace}}\
         </style>\n</head>\n<body>\n<h1>{title}</h1>\n<p>{statement}</p>\n<p>{organiser}</p>\n\
         <p class=\"code\">{code}</p>\n<p>{check}</p>\n</body>\n</html>\n",
        lang = locale.as_str(),
        title = encode_text(&title),
        statement = encode_text(&statement),
        organiser = encode_text(&organiser),
        code = encode_text(&code),
        check = encode_text(&check),
    )
}

/// What `GET /certificates/{code}` confirms.
pub fn certificate_summary(certificate: &Certificate) -> Value {
    let workshop = &certificate.workshop;
    json!({
        "name": certificate.attendee,
        "workshop": workshop.title,
        "date": workshop.local_start_date().to_string(),
        "hours": workshop.hours(),
        "verificationCode": certificate.code,
    })
}
