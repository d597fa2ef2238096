//! Which operation a request runs, once its document is parsed: handed to the HTTP handler, which
//! records it on the request's tracing span and in the metrics.

use std::sync::{Arc, Mutex};

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument};

/// Where the handler finds the operation name after the request ran; put in the request's data.
#[derive(Clone, Default)]
pub struct OperationSlot(Arc<Mutex<Option<String>>>);

impl OperationSlot {
    pub fn name(&self) -> Option<String> {
        // A poisoned lock only means a panic elsewhere; the name stays readable.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn set(&self, name: &str) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(name.to_owned());
    }
}

/// The name of the operation `document` runs: the one the request chose, or the only one.
fn operation_name<'a>(
    document: &'a ExecutableDocument,
    chosen: Option<&'a str>,
) -> Option<&'a str> {
    match &document.operations {
        DocumentOperations::Single(_) => None,
        DocumentOperations::Multiple(operations) => match chosen {
            Some(chosen) => Some(chosen),
            None if operations.len() == 1 => operations.keys().next().map(|name| name.as_str()),
            None => None,
        },
    }
}

/// Puts the name of the operation `document` runs in the request's [`OperationSlot`].
pub(super) fn record(slot: &OperationSlot, document: &ExecutableDocument, chosen: Option<&str>) {
    if let Some(name) = operation_name(document, chosen) {
        slot.set(name);
    }
}
