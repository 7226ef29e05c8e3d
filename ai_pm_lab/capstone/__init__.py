"""The capstone: one AI feature end to end (a support assistant over the bundled base or the learner's own folder):
evaluate against the week-7 success criteria, shadow against a keyword FAQ, canary with guardrails, monitor, improve
from the "I don't know" log, and present a launch memo and deck."""
from ai_pm_lab.capstone.assistant import KeywordFAQ, build_assistant, build_pipeline
from ai_pm_lab.capstone.calibrate import MIN_PER_CLASS, Calibration, calibrate, labels_needed
from ai_pm_lab.capstone.improve import (
    additions_report,
    content_gaps,
    declined_requests,
    improvement_loop,
    improvement_status,
    label_gaps,
)
from ai_pm_lab.capstone.launch import (
    COST,
    HANDLED,
    LATENCY,
    WRONG,
    canary_mode,
    canary_rollout,
    canary_verdict,
    compare,
    evaluate,
    gate_criteria,
    launch_gate,
    metrics,
    monitor,
    shadow_day,
    shadow_summary,
    starter_criteria,
    users_on_ai,
)
from ai_pm_lab.capstone.present import LaunchFacts, launch_facts, present
from ai_pm_lab.capstone.project import Project, open_project, preview_folder
from ai_pm_lab.capstone.rubric import next_steps_table, rubric_table, self_assess
from ai_pm_lab.capstone.samples import write_sample_folder

__all__ = [
    "Calibration", "KeywordFAQ", "LaunchFacts", "MIN_PER_CLASS", "Project", "additions_report", "build_assistant",
    "build_pipeline", "calibrate", "canary_mode", "canary_rollout", "canary_verdict", "compare", "content_gaps",
    "declined_requests", "evaluate", "gate_criteria", "improvement_loop", "improvement_status", "label_gaps",
    "labels_needed",
    "launch_facts", "launch_gate", "metrics", "monitor", "next_steps_table", "open_project", "present", "preview_folder", "rubric_table", "self_assess",
    "shadow_day", "shadow_summary", "starter_criteria", "users_on_ai", "write_sample_folder",
    "HANDLED", "WRONG", "LATENCY", "COST",
]
