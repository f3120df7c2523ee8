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
