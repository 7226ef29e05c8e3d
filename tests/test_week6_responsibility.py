"""Week 6 responsibility: PII detection and its measurement, the redaction hook, fairness metrics, the launch
checklist and its widget (driven headlessly), against hand-computed cases and bad input."""
import pytest

from ai_pm_lab.responsibility import bias, checklist, pii
from ai_pm_lab.widgets.checklist import ChecklistWidget


def test_luhn_and_iban_checks():
    assert pii.luhn_valid("4111 1111 1111 1111") and pii.luhn_valid("3782-822463-10005")
    assert not pii.luhn_valid("4111 1111 1111 1112") and not pii.luhn_valid("1234")
    assert pii.iban_valid("GB82 WEST 1234 5698 7654 32") and pii.iban_valid("de89370400440532013000")
    assert not pii.iban_valid("GB82 WEST 1234 5698 7654 33")


def test_redact_finds_each_type_and_leaves_lookalikes():
    text = ("I'm Maria Lopez, maria@x.example, +44 20 7946 0958, card 4111 1111 1111 1111, "
            "IBAN GB82 WEST 1234 5698 7654 32 please. Order 4000 1234 5678 9012, version 2.14.3.")
    clean, found = pii.redact(text)
    assert [e.type for e in found] == ["NAME", "EMAIL", "PHONE", "CARD", "IBAN"]
    assert "Order 4000 1234 5678 9012, version 2.14.3." in clean and "[IBAN] please" in clean
    assert pii.redact("a rose bouquet")[1] == [] and pii.redact("")[0] == ""
    with pytest.raises(TypeError):
        pii.redact(None)
    with pytest.raises(ValueError, match="Unknown entity"):
        pii.find_pii("x", types=("SSN",))


def test_evaluate_matches_hand_counts():
    data = [
        {"id": "a", "text": "Mail maria@x.example or call 415-555-0132.", "entities": [
            {"type": "EMAIL", "value": "maria@x.example"}, {"type": "PHONE", "value": "415-555-0132"}]},
        {"id": "b", "text": "mail me at bob dot b at x dot com", "entities": [{"type": "EMAIL", "value": "bob dot b at x dot com"}]},
        {"id": "c", "text": "Is the Sofia depot open?", "entities": []},
    ]
    report = pii.evaluate(data)
    rows = report.by_type.set_index("type")
    assert rows.loc["EMAIL", ["entities", "caught", "missed"]].tolist() == [2, 1, 1]
    assert rows.loc["EMAIL", "recall"] == pytest.approx(0.5) and rows.loc["EMAIL", "precision"] == pytest.approx(1.0)
    assert rows.loc["NAME", "false_alarms"] == 1 and rows.loc["NAME", "precision"] == pytest.approx(0.0)
    assert rows.loc["NAME", "recall"] is None and rows.loc["CARD", "precision"] is None  # nothing to measure: None, not NaN
    assert report.misses["value"].tolist() == ["bob dot b at x dot com"] and report.summary()["missed_types"] == ["EMAIL"]
    with pytest.raises(ValueError, match="No labelled samples"):
        pii.evaluate([])
    with pytest.raises(ValueError, match="not in its text"):
        pii.evaluate([{"text": "hello", "entities": [{"type": "EMAIL", "value": "a@b.example"}]}])


def test_redacting_generator_cleans_only_hosted_calls_by_default():
    seen = []

    def fake(prompt, **kw):
        seen.append((prompt, kw.get("system")))
        return "ok"

    always = pii.redacting_generator(fake, only_hosted=False)
    always("Email tom@x.example please", system="Caller: Tom Becker", backend="local", max_tokens=5)
    assert seen[-1] == ("Email [EMAIL] please", "Caller: [NAME]") and always.removed == {"EMAIL": 1, "NAME": 1}
    hosted_only = pii.redacting_generator(fake)
    hosted_only("Email tom@x.example please", backend="local")
    assert seen[-1][0] == "Email tom@x.example please"  # the local model is on this machine: nothing leaves it


def test_selection_rates_four_fifths_and_group_edge_cases():
    selected = [1, 1, 0, 0, 1, 0, 0, 0]
    groups = ["a"] * 4 + ["b"] * 4
    rates = bias.selection_rates(selected, groups, qualified=[1, 1, 1, 0, 1, 1, 0, 0])
    assert rates.set_index("group")["selection_rate"].tolist() == [0.5, 0.25]
    assert rates.set_index("group")["qualified_selected"].tolist() == pytest.approx([2 / 3, 0.5])
    rule = bias.four_fifths(rates)
    assert rule["ratio"] == pytest.approx(0.5) and not rule["passes"] and rule["lowest_group"] == "b"
    with pytest.raises(ValueError, match="no members"):
        bias.selection_rates(selected, groups, expected_groups=["a", "b", "c"])
    with pytest.raises(ValueError, match="one group per candidate"):
        bias.selection_rates(selected, groups[:-1])
    with pytest.raises(ValueError, match="Nobody was selected"):
        bias.four_fifths(bias.selection_rates([0] * 8, groups))
    with pytest.raises(ValueError, match="at least two groups"):
        bias.four_fifths(bias.selection_rates([1, 0], ["a", "a"]))
    with pytest.raises(ValueError, match="0/1"):
        bias.selection_rates([2, 0], ["a", "b"])


def test_shortlist_and_swap_partners():
    assert bias.shortlist([0.1, 0.9, 0.5, 0.7], 0.5).tolist() == [0, 1, 0, 1]
    assert bias.shortlist_cutoff([0.1, 0.9, 0.5, 0.7], 0.5) == pytest.approx(0.7)
    with pytest.raises(ValueError):
        bias.shortlist([])
    table = bias.resumes()
    partners = bias.swap_partner(table)
    groups = dict(zip(table["name"], table["name_group"]))
    assert all(groups[p] != g for p, g in zip(partners, table["name_group"]))
    counts = table.groupby(["name_group", "qualified"]).size()
    assert counts.nunique() == 1, "groups are balanced by qualification"


def _evidence(**over):
    args = dict(
        bias={"four_fifths_ratio": 0.9, "passes_four_fifths": True, "swap_flip_rate": 0.05},
        transparency={"disclosure_share": 1.0, "answers_with_sources": 1.0, "refusals_with_handoff": 1.0},
        pii={"recall_by_type": {"EMAIL": 0.5}, "missed_types": ["EMAIL"], "samples": 3},
        monitoring={"alert_threshold": 0.1, "false_alarm_rate": 0.05, "detection_rate": 0.8},
        kill_switch={"requests": 5, "routed_to_human": 5, "model_calls": 0},
        quality={"accuracy": 0.9, "hallucination_rate": 0.04})
    args.update(over)
    return checklist.collect_evidence(**args)


def test_monitoring_and_explainability_are_met_only_when_the_measured_quality_clears_the_bars():
    # Before: a day with 15% reviewed accuracy and 36% made-up answers still marked both "met" (week 6's checklist).
    poor = _evidence(quality={"accuracy": 0.15, "hallucination_rate": 0.36})
    assert poor["monitoring"].status == "gap" and poor["explainability"].status == "gap"
    assert "15" in poor["monitoring"].summary and "64" in poor["explainability"].summary
    good = _evidence()
    assert good["monitoring"].status == "met" and good["explainability"].status == "met"
    # the bars are the team's: at a 10% accuracy bar the same poor day's monitoring is met, explainability is not
    lenient = _evidence(quality={"accuracy": 0.15, "hallucination_rate": 0.36}, min_accuracy=0.10)
    assert lenient["monitoring"].status == "met" and lenient["explainability"].status == "gap"
    # no quality figures: a drift alert and a source list alone back neither answer
    blind = _evidence(quality=None)
    assert blind["monitoring"].status == "gap" and blind["explainability"].status == "gap"
    result = checklist.assess({k: "yes" for k in checklist.KEYS}, poor)
    assert {"monitoring", "explainability"} <= set(result["blockers"])
    with pytest.raises(ValueError, match="lacks"):
        _evidence(quality={"accuracy": 0.9})


def test_checklist_links_answers_to_evidence(tmp_path):
    ev = _evidence()
    assert ev["regulation"].status == "gap" and all(ev[k].status == "met" for k in checklist.KEYS if k != "regulation")
    result = checklist.assess({k: "yes" for k in checklist.KEYS}, ev)
    assert result["blockers"] == ["regulation"] and not result["ready"]
    ok = checklist.assess({**{k: "yes" for k in checklist.KEYS}, "regulation": "partly"}, ev,
                          {"regulation": "spelled-out emails go to a human reviewer until the detector catches them"})
    assert ok["ready"] and ok["verdict"] == "Ready to launch"
    missing = checklist.assess({k: "yes" for k in checklist.KEYS}, checklist.collect_evidence())
    assert set(missing["blockers"]) == set(checklist.KEYS)
    path = checklist.write_report(ok, tmp_path / "r.md")
    checklist.write_report(result, path)  # re-run overwrites
    text = path.read_text()
    assert "Not ready: 1 blocker(s)" in text and text.count("# Launch readiness") == 1
    with pytest.raises(ValueError, match="Unknown question"):
        checklist.assess({"vibes": "yes"}, ev)
    with pytest.raises(ValueError, match="one of"):
        checklist.assess({"bias": "maybe"}, ev)
    with pytest.raises(ValueError, match="lacks"):
        checklist.collect_evidence(bias={"four_fifths_ratio": 0.9})


def test_checklist_widget_headless(tmp_path, monkeypatch):
    monkeypatch.setenv("AI_PM_LAB_OUTPUT_DIR", str(tmp_path))
    w = ChecklistWidget(_evidence())
    w.button.click()
    assert set(w.state["blockers"]) == set(checklist.KEYS)  # nothing answered yet
    for key in checklist.KEYS:
        w.answers[key].value = "yes"
    w.answers["regulation"].value = "partly"
    w.notes["regulation"].value = "manual review of spelled-out emails"
    w.button.click()
    assert w.state["ready"] and w.state["path"] == tmp_path / "reports" / checklist.REPORT_NAME
    assert "Ready to launch" in w.state["path"].read_text()
    with pytest.raises(TypeError):
        ChecklistWidget(["not", "a", "dict"])


def test_checklist_widget_judges_each_answer_as_it_is_set(tmp_path, monkeypatch):
    monkeypatch.setenv("AI_PM_LAB_OUTPUT_DIR", str(tmp_path))
    w = ChecklistWidget(_evidence())
    assert "not answered" in w.verdicts["bias"].value and "Answered 0 of 8" in w.summary.value
    w.answers["bias"].value = "no"
    assert "blocker" in w.verdicts["bias"].value and "the team says no" in w.verdicts["bias"].value
    assert "Answered 1 of 8" in w.summary.value and not w.button.disabled
    w.write()
    assert w.button.disabled  # the report on screen matches the answers
    w.notes["bias"].value = "audit again after the retrain"
    assert not w.button.disabled


def test_where_to_look_maps_each_system_to_the_rules_marked():
    table = checklist.where_to_look()
    assert {"EU AI Act", "GDPR (and UK GDPR)"} <= set(table["rule"]) and table["where to look it up"].str.len().min() > 10
    mine = checklist.where_to_look({"assistant": ["GDPR"], "screener": ["AI Act", "employment"]})
    assert mine["system"].tolist() == ["assistant", "screener", "screener"]
    assert mine["rule"].tolist() == ["GDPR (and UK GDPR)", "EU AI Act", "Employment rules"]
    with pytest.raises(ValueError, match="no rule"):
        checklist.where_to_look({"assistant": ["HIPPA"]})
    with pytest.raises(ValueError, match="more than one"):
        checklist.where_to_look({"assistant": ["rules"]})
    with pytest.raises(TypeError):
        checklist.where_to_look({"assistant": "GDPR"})
