//! Tasks: `docker service ps`, for the whole swarm or one service.

use std::collections::HashMap;

use bollard::query_parameters::ListTasksOptions;

use crate::{DockerClient, Result, Task, TaskState};

impl DockerClient {
    /// Tasks the scheduler wants running, those a rolling update is preparing to run next
    /// (wanted `ready`), and a job's tasks wanted complete (`docker service ps` without
    /// history). Tasks being shut down or replaced are history, not placement, so they are
    /// left out.
    pub async fn list_current_tasks(&self) -> Result<Vec<Task>> {
        let filters = HashMap::from([(
            "desired-state".to_owned(),
            vec![
                "running".to_owned(),
                "ready".to_owned(),
                "complete".to_owned(),
            ],
        )]);
        self.tasks(filters, "list tasks").await
    }

    /// Tasks of the services' current specs that the scheduler gave up on: the failed and
    /// rejected ones (and those shut down by a scale-down), which say why a service falls short.
    pub async fn stopped_current_tasks(&self) -> Result<Vec<Task>> {
        let filters = HashMap::from([
            ("_up-to-date".to_owned(), vec!["true".to_owned()]),
            ("desired-state".to_owned(), vec!["shutdown".to_owned()]),
        ]);
        self.tasks(filters, "list stopped tasks of current specs")
            .await
    }

    /// A service's tasks, history included; `up_to_date` keeps only those made from its
    /// current spec (the filter `docker stack deploy`'s progress display uses).
    pub async fn service_tasks(&self, service_id: &str, up_to_date: bool) -> Result<Vec<Task>> {
        let mut filters = HashMap::from([("service".to_owned(), vec![service_id.to_owned()])]);
        if up_to_date {
            filters.insert("_up-to-date".to_owned(), vec!["true".to_owned()]);
        }
        self.tasks(filters, &format!("list tasks of {service_id}"))
            .await
    }

    /// Every service's tasks made from its current spec, in one call (for progress across a
    /// whole stack).
    pub async fn up_to_date_tasks(&self) -> Result<Vec<Task>> {
        let filters = HashMap::from([("_up-to-date".to_owned(), vec!["true".to_owned()])]);
        self.tasks(filters, "list tasks of current specs").await
    }

    async fn tasks(
        &self,
        filters: HashMap<String, Vec<String>>,
        action: &str,
    ) -> Result<Vec<Task>> {
        let options = ListTasksOptions {
            filters: Some(filters),
        };
        let tasks = self
            .docker
            .list_tasks(Some(options))
            .await
            .map_err(self.api_error(action))?;
        Ok(tasks.into_iter().map(convert_task).collect())
    }
}

fn convert_task(task: bollard::models::Task) -> Task {
    let status = task.status.unwrap_or_default();
    let state = status
        .state
        .and_then(|state| TaskState::from_api(&state.to_string()))
        .unwrap_or(TaskState::New);
    let desired_state = task
        .desired_state
        .and_then(|state| TaskState::from_api(&state.to_string()))
        .unwrap_or(TaskState::Running);
    Task {
        id: task.id.unwrap_or_default(),
        service_id: task.service_id.unwrap_or_default(),
        node_id: task.node_id.filter(|id| !id.is_empty()),
        slot: task.slot.and_then(|n| u64::try_from(n).ok()),
        image: task
            .spec
            .and_then(|spec| spec.container_spec)
            .and_then(|container| container.image)
            .unwrap_or_default(),
        state,
        desired_state,
        message: status.message.unwrap_or_default(),
        error: status.err.filter(|err| !err.is_empty()),
        exit_code: status.container_status.as_ref().and_then(|c| c.exit_code),
        container_id: status
            .container_status
            .and_then(|c| c.container_id)
            .filter(|id| !id.is_empty()),
        created_at: task.created_at.unwrap_or_default(),
        changed_at: status.timestamp.unwrap_or_default(),
    }
}
