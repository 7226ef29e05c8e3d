"""Finding and framing an AI opportunity: why product thinking wins, the opportunity canvas (problem statement,
success criteria, guardrails, one-pager), data strategy, and working with ML engineers."""
from ai_pm_lab.framing.canvas import (
                                      CanvasError,
                                      Criterion,
                                      CriterionResult,
                                      GateResult,
                                      OpportunityCanvas,
                                      ProblemStatement,
                                      SuccessCriteria,
                                      build_problem_statement,
                                      criterion_from_dict,
                                      guardrail,
                                      success,
                                      write_one_pager,
)
from ai_pm_lab.framing.criteria_file import criteria_path, load_criteria, save_criteria
from ai_pm_lab.framing.ux import UXWorksheet, ux_worksheet

__all__ = [
    "CanvasError", "Criterion", "CriterionResult", "GateResult", "OpportunityCanvas", "ProblemStatement", "SuccessCriteria",
    "build_problem_statement", "criterion_from_dict", "criteria_path", "guardrail", "load_criteria", "save_criteria",
    "success", "UXWorksheet", "ux_worksheet", "write_one_pager",
]
