use std::collections::HashMap;

use bollard::query_parameters::ListTasksOptions;

use crate::model::convert_task;
use crate::{DockerClient, Result, Task};

impl DockerClient {
    /// Tasks the scheduler wants running (`docker service ps` without history). Tasks being
    /// shut down or replaced are history, not placement, so they are left out.
    pub async fn list_current_tasks(&self) -> Result<Vec<Task>> {
        let filters = HashMap::from([("desired-state".to_owned(), vec!["running".to_owned()])]);
        let options = ListTasksOptions {
            filters: Some(filters),
        };
        let tasks = self
            .docker
            .list_tasks(Some(options))
            .await
            .map_err(self.api_error("list tasks"))?;
        Ok(tasks.into_iter().map(convert_task).collect())
    }
}
