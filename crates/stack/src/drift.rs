//! Drift: services whose running spec differs from their stack's newest version (scaled with
//! the docker CLI, rolled back, changed without recording), and which of those differences a
//! new deploy would undo.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{Change, FieldChange, Plan};

/// A service of a stack whose running spec differs from the stack's newest version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub service: String,
    /// The newest version, whose file says otherwise.
    pub version: i64,
    /// Each field as the swarm has it (`before`) and as the file says (`after`); values of
    /// environment variables are not shown.
    pub fields: Vec<FieldChange>,
    /// The last change the console made to the service, from its audit log; none when the
    /// change came from elsewhere (the docker CLI, say).
    pub last_change: Option<ConsoleChange>,
}

/// An audited change: what, by whom, when (unix milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleChange {
    pub action: String,
    pub actor: String,
    pub at: i64,
}

/// The drifted fields of each service, from the plan of the newest version against the
/// swarm: whatever that plan would update is what changed since.
pub fn drifted(newest: &Plan) -> HashMap<String, Vec<FieldChange>> {
    newest
        .objects
        .iter()
        .filter(|o| o.kind == "service" && o.change == Change::Update)
        .map(|o| (o.name.clone(), o.fields.clone()))
        .collect()
}

/// What of `drifted` the deploy planned in `plan` would undo: a drifted field the plan
/// changes again, or every drifted field of a service the plan removes. Each field keeps
/// the swarm's value as `before` and the deploy's as `after`.
pub fn undone(
    drifted: &HashMap<String, Vec<FieldChange>>,
    plan: &Plan,
) -> Vec<(String, Vec<FieldChange>)> {
    let mut undone: Vec<_> = plan
        .objects
        .iter()
        .filter(|o| o.kind == "service")
        .filter_map(|object| {
            let fields = drifted.get(&object.name)?;
            let fields: Vec<FieldChange> = match object.change {
                Change::Remove => fields.clone(),
                Change::Update => object
                    .fields
                    .iter()
                    .filter(|f| fields.iter().any(|d| d.path == f.path))
                    .cloned()
                    .collect(),
                Change::Create | Change::Unchanged => Vec::new(),
            };
            (!fields.is_empty()).then(|| (object.name.clone(), fields))
        })
        .collect();
    undone.sort_by(|a, b| a.0.cmp(&b.0));
    undone
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::PlannedObject;

    fn field(path: &str, before: i64, after: i64) -> FieldChange {
        FieldChange {
            path: path.into(),
            before: Some(json!(before)),
            after: Some(json!(after)),
        }
    }

    fn service(name: &str, change: Change, fields: Vec<FieldChange>) -> PlannedObject {
        PlannedObject {
            kind: "service".into(),
            name: name.into(),
            change,
            fields,
        }
    }

    fn plan(objects: Vec<PlannedObject>) -> Plan {
        Plan {
            stack: "shop".into(),
            objects,
            problems: Vec::new(),
        }
    }

    const REPLICAS: &str = "Mode.Replicated.Replicas";
    const IMAGE: &str = "TaskTemplate.ContainerSpec.Image";

    #[test]
    fn a_deploy_undoes_only_the_drifted_fields_it_changes() {
        // The CLI scaled web to 7; version 3 says 5.
        let newest = plan(vec![
            service("shop_web", Change::Update, vec![field(REPLICAS, 7, 5)]),
            service("shop_db", Change::Unchanged, vec![]),
        ]);
        let drifted = drifted(&newest);
        assert_eq!(drifted.len(), 1);
        // Redeploying an older version sets 5 replicas again, and another image.
        let older = plan(vec![service(
            "shop_web",
            Change::Update,
            vec![field(REPLICAS, 7, 5), field(IMAGE, 1, 2)],
        )]);
        assert_eq!(
            undone(&drifted, &older),
            vec![("shop_web".to_owned(), vec![field(REPLICAS, 7, 5)])]
        );
        // A file that keeps the swarm's 7 replicas undoes nothing.
        let keeps = plan(vec![service(
            "shop_web",
            Change::Update,
            vec![field(IMAGE, 1, 2)],
        )]);
        assert!(undone(&drifted, &keeps).is_empty());
        // Removing the service undoes all of it.
        let prunes = plan(vec![service("shop_web", Change::Remove, vec![])]);
        assert_eq!(undone(&drifted, &prunes)[0].1, vec![field(REPLICAS, 7, 5)]);
    }
}
