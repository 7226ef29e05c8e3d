"""Why product thinking wins: two plans for the same AI feature (a custom model vs an LLM API with fast iteration),
compared on time to the first user signal, learning cycles, the chance of finding what users want, and cost.

Every assumption sits in data/framing/build_vs_buy.csv with its source; change any of them with ``overrides``.
"""
from __future__ import annotations

import math
import numbers

from ai_pm_lab.catalog import default_model, model_info
from ai_pm_lab.cost import estimate_cost
from ai_pm_lab.datafiles import data_csv
from ai_pm_lab.errors import InputError, InputTypeError, require_text
from ai_pm_lab.tables import returns_course_table

PLANS = ("custom_model", "api_first")
PLAN_NAMES = {"custom_model": "Custom model", "api_first": "LLM API, iterate"}
ASSUMPTIONS_FILE = "framing/build_vs_buy.csv"
PROBABILITY = ("chance_release_solves_real_need",)


@returns_course_table
def assumptions():
    """The stated assumptions (parameter, custom_model, api_first, unit, source) as a DataFrame."""
    import pandas as pd

    df = pd.DataFrame(data_csv(ASSUMPTIONS_FILE))
    for plan in PLANS:
        df[plan] = df[plan].astype(float)
    return df


def _params(overrides: dict | None) -> dict[str, dict[str, float]]:
    rows = {r["parameter"]: {p: float(r[p]) for p in PLANS} for r in data_csv(ASSUMPTIONS_FILE)}
    if overrides is not None and not isinstance(overrides, dict):
        raise InputTypeError(f"overrides must be a dict of assumption -> value (e.g. {{'team_size': 3}}) or None, "
                             f"not {type(overrides).__name__}.")
    for key, value in (overrides or {}).items():
        if key not in rows:
            raise InputError(f"Unknown assumption {key!r}: choose one of {', '.join(rows)}.")
        values = value if isinstance(value, dict) else {p: value for p in PLANS}
        for plan, v in values.items():
            if plan not in PLANS:
                raise InputError(f"Unknown plan {plan!r} for {key!r}: use {PLANS}.")
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)) or v < 0:
                raise InputError(f"{key} for {plan} must be a number ≥ 0, not {v!r}.")
            if key in PROBABILITY and v > 1:
                raise InputError(f"{key} is a probability: give a value between 0 and 1, not {v!r}.")
            rows[key][plan] = float(v)
    for plan in PLANS:
        if rows["weeks_per_iteration"][plan] <= 0:
            raise InputError(f"weeks_per_iteration for {plan} must be above 0: a release cycle takes some time.")
    return rows


def api_cost_per_query(prompt_tokens: int = 800, completion_tokens: int = 200, model: str | None = None) -> float:
    """Dollars per query on a hosted model from the price table (default: the table's default OpenAI model)."""
    model = default_model("openai") if model is None else require_text(model, "model")
    return estimate_cost(model_info(model).model_id, int(prompt_tokens), int(completion_tokens))


def release_weeks(plan: str, horizon_weeks: float, overrides: dict | None = None) -> list[float]:
    """The weeks at which a plan puts a release in front of users, up to the horizon."""
    p = _params(overrides)
    first, cycle = p["weeks_to_first_release"][plan], p["weeks_per_iteration"][plan]
    out, w = [], first
    while w <= horizon_weeks + 1e-9:
        out.append(w)
        w += cycle
    return out


@returns_course_table
def compare_plans(horizon_weeks: float = 26, overrides: dict | None = None, *, model: str | None = None):
    """One row per plan: weeks to first user signal, its cost, releases (learning cycles) in the horizon, the chance at
    least one release solves a real need, and the total cost over the horizon (assumptions: data/framing/build_vs_buy.csv)."""
    import pandas as pd

    if isinstance(horizon_weeks, bool) or not isinstance(horizon_weeks, numbers.Real) or not 1 <= horizon_weeks <= 520:
        raise InputError(f"horizon_weeks must be a number of weeks between 1 and 520, not {horizon_weeks!r}.")
    p = _params(overrides)
    rows = []
    for plan in PLANS:
        g = {k: v[plan] for k, v in p.items()}
        releases = release_weeks(plan, horizon_weeks, overrides)
        weekly_team = g["team_size"] * g["cost_per_person_week_usd"]
        per_query = 0.0 if plan == "custom_model" else api_cost_per_query(g["prompt_tokens_per_query"],
                                                                          g["completion_tokens_per_query"], model)
        live_weeks = max(0.0, horizon_weeks - g["weeks_to_first_release"])
        running = live_weeks * (g["hosting_usd_per_week"] + 7 * g["queries_per_day"] * per_query)
        chance = 1 - (1 - g["chance_release_solves_real_need"]) ** len(releases)
        rows.append({
            "plan": PLAN_NAMES[plan],
            "weeks to first user signal": g["weeks_to_first_release"],
            "cost to first user signal ($)": g["upfront_usd"] + weekly_team * g["weeks_to_first_release"],
            "releases (learning cycles)": len(releases),
            "chance some release finds a real need": chance,
            "cost per query ($)": per_query,
            f"total cost over {horizon_weeks:g} weeks ($)": g["upfront_usd"] + weekly_team * horizon_weeks + running,
        })
    return pd.DataFrame(rows).set_index("plan")


@returns_course_table
def chance_over_time(horizon_weeks: float = 52, overrides: dict | None = None):
    """Week by week, each plan's chance of having shipped a release that solves a real need (DataFrame, one column per plan)."""
    import pandas as pd

    p = _params(overrides)
    weeks = list(range(0, int(horizon_weeks) + 1))
    data = {}
    for plan in PLANS:
        hit = p["chance_release_solves_real_need"][plan]
        releases = release_weeks(plan, horizon_weeks, overrides)
        data[PLAN_NAMES[plan]] = [1 - (1 - hit) ** sum(r <= w for r in releases) for w in weeks]
    return pd.DataFrame(data, index=pd.Index(weeks, name="week"))


def plot_chance_over_time(horizon_weeks: float = 52, overrides: dict | None = None, ax=None):
    """Line chart of chance_over_time: how fast each plan learns what users want."""
    import matplotlib.pyplot as plt

    df = chance_over_time(horizon_weeks, overrides)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.2))
    for col in df.columns:
        ax.step(df.index, df[col], where="post", label=col)
    ax.set_xlabel("week")
    ax.set_ylabel("chance a real need is found")
    ax.set_ylim(0, 1)
    ax.legend()
    return ax


def matching_chance(hit: float, releases_a: int, releases_b: int) -> float:
    """The chance per release plan B needs to find a real need as often as plan A does with ``hit`` per release
    (each release an independent try): 1 - (1 - hit) ** (releases_a / releases_b)."""
    if releases_b <= 0:
        return float("nan")
    return 1 - (1 - hit) ** (releases_a / releases_b)


@returns_course_table
def chance_sensitivity(horizon_weeks: float = 26, chances=(0.05, 0.1, 0.25, 0.5), overrides: dict | None = None):
    """How the build-vs-buy conclusion depends on the chance per release (the model's softest assumption): for each
    chance, each plan's chance of having found a real need within the horizon, and the chance per release the custom
    plan would need to keep up with the API plan."""
    import pandas as pd

    try:
        values = [float(c) for c in chances]
    except (TypeError, ValueError):
        raise InputTypeError("chances must be a list of probabilities between 0 and 1, e.g. [0.1, 0.25, 0.5].") from None
    if not values or any(not 0 < c < 1 for c in values):
        raise InputError(f"chances must be probabilities above 0 and below 1, not {list(chances)!r}.")
    rows = []
    for c in values:
        t = compare_plans(horizon_weeks, {**(overrides or {}), "chance_release_solves_real_need": c})
        api, custom = t.loc[PLAN_NAMES["api_first"]], t.loc[PLAN_NAMES["custom_model"]]
        rows.append({"chance per release": c,
                     f"API plan: need found within {horizon_weeks:g} weeks": api["chance some release finds a real need"],
                     f"custom plan: need found within {horizon_weeks:g} weeks": custom["chance some release finds a real need"],
                     "chance per custom release needed to keep up": matching_chance(
                         c, int(api["releases (learning cycles)"]), int(custom["releases (learning cycles)"]))})
    return pd.DataFrame(rows)
