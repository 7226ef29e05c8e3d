"""Small plotting helpers shared by the widgets."""
from __future__ import annotations


def show_token_bars(df, title: str = "", ax=None):
    """Horizontal bar chart of a top-k token table (token, probability)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * len(df) + 1))
    labels = [repr(t) for t in df["token"]]
    ax.barh(labels[::-1], df["probability"].to_numpy()[::-1], color="#4C72B0")
    for i, p in enumerate(df["probability"].to_numpy()[::-1]):
        ax.text(p, i, f" {p:.1%}", va="center", fontsize=9)
    ax.set_xlabel("probability of being the next token")
    ax.set_xlim(0, min(1.0, float(df["probability"].max()) * 1.25 + 0.02))
    ax.set_title(title)
    return ax
