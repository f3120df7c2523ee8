use flotilla_stack::ServiceProgress;

fn progress(global: bool, desired: u64, running: u64) -> ServiceProgress {
    ServiceProgress {
        service: "shop_web".into(),
        global,
        desired,
        running,
        errors: vec![],
        tasks: vec![],
    }
}

#[test]
fn a_replicated_service_converges_when_its_replicas_run() {
    assert!(!progress(false, 3, 2).converged());
    assert!(progress(false, 3, 3).converged());
    assert!(progress(false, 0, 0).converged(), "scaled to zero is done");
}

#[test]
fn a_global_service_without_tasks_yet_has_not_converged() {
    assert!(!progress(true, 0, 0).converged());
    assert!(!progress(true, 3, 2).converged());
    assert!(progress(true, 3, 3).converged());
}

mod counting {
    use std::collections::HashSet;

    use flotilla_stack::{service_progress, ModeKind, TaskReport};

    fn task(slot: Option<u64>, node: &str, state: &str, desired: &str) -> TaskReport {
        TaskReport {
            slot,
            node_id: node.into(),
            node: format!("host-{node}"),
            state: state.into(),
            desired_state: desired.into(),
            error: if state == "failed" {
                "exit 1".into()
            } else {
                String::new()
            },
            message: String::new(),
        }
    }

    #[test]
    fn replicas_count_running_tasks_that_should_run() {
        let tasks = [
            task(Some(1), "n1", "running", "running"),
            task(Some(2), "n2", "running", "shutdown"),
            task(Some(3), "n2", "failed", "shutdown"),
        ];
        let up = HashSet::from(["n1".to_owned(), "n2".to_owned()]);
        let progress = service_progress("shop_web", ModeKind::Replicated, Some(3), &tasks, &up);
        assert_eq!((progress.desired, progress.running), (3, 1));
        assert_eq!(progress.errors, vec!["failed: exit 1".to_owned()]);
        assert_eq!(progress.tasks[0].node, "host-n1");
    }

    #[test]
    fn a_global_service_is_due_on_every_node_up_that_was_given_a_task() {
        let tasks = [
            task(None, "n1", "running", "running"),
            task(None, "n2", "starting", "running"),
            task(None, "n3", "running", "running"),
        ];
        let up = HashSet::from(["n1".to_owned(), "n2".to_owned()]);
        let progress = service_progress("shop_agent", ModeKind::Global, None, &tasks, &up);
        assert!(progress.global);
        assert_eq!((progress.desired, progress.running), (2, 1), "n3 is down");
    }

    #[test]
    fn jobs_count_completions() {
        let tasks = [task(Some(1), "n1", "complete", "complete")];
        let progress = service_progress(
            "shop_job",
            ModeKind::ReplicatedJob,
            Some(2),
            &tasks,
            &HashSet::new(),
        );
        assert_eq!((progress.desired, progress.running), (2, 1));
    }
}
