"""Next-token widgets: the real distribution for a prompt, and how temperature reshapes it."""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from ai_pm_lab.llm.backends import generate
from ai_pm_lab.llm.next_token import next_token_distribution
from ai_pm_lab.plots import show_token_bars
from ai_pm_lab.widgets.base import CourseWidget, action_style, error_html


def temperature_view(prompt: str, temperature: float, k: int = 10) -> dict:
    """Plain data behind the temperature widget: top-k table and entropy at one temperature."""
    dist = next_token_distribution(prompt)
    return {
        "prompt": prompt,
        "temperature": float(temperature),
        "top_k": dist.top_k(k, temperature),
        "entropy_bits": dist.entropy(temperature),
    }


def sample_completions(prompt: str, temperature: float, n: int = 5, seed: int = 0, max_tokens: int = 12, backend=None) -> list:
    """N short completions of ``prompt`` at a temperature (seeds seed, seed+1, ...), as Generation objects."""
    instruction = f"Finish this sentence with a few words. Reply with the ending only.\n\n{prompt}"
    return [generate(instruction, temperature=temperature, max_tokens=max_tokens, seed=seed + i, backend=backend) for i in range(n)]


class NextTokenExplorer(CourseWidget):
    """Type a prompt, see the real model's top-k next tokens as a bar chart."""

    def __init__(self, prompt: str = "The cat sat on the", k: int = 10):
        super().__init__()
        self.text = W.Text(value=prompt, description="Prompt", layout=W.Layout(width="60%"))
        self.k = W.IntSlider(value=k, min=3, max=25, description="top k")
        self.button = W.Button(description="Predict next token", style=action_style(), layout=W.Layout(width="auto"))
        self.out = W.Output()
        self.button.on_click(lambda _: self.update())
        self.k.observe(lambda _: self.update(), names="value")
        self.text.observe(lambda _: self._sync_button(), names="value")
        self.update()

    def update(self) -> dict:
        """Recompute for the current prompt and k; errors are shown, not raised."""
        self.state = self.attempt(temperature_view, self.text.value, 1.0, self.k.value)
        self._draw()
        self._sync_button()
        return self.state

    def _sync_button(self) -> None:
        """The button can only act on a prompt the chart does not show yet (top k redraws by itself)."""
        shown = self.state.get("prompt") if not self.state.get("error") else None
        self.button.disabled = self.text.value == shown
        self.button.tooltip = ("The chart already shows this prompt: type a new one" if self.button.disabled
                               else "Predict the next token for the prompt you typed")

    def _draw(self) -> None:
        with self.out:
            self.out.clear_output(wait=True)
            if self.state.get("error"):
                print("⚠️", self.state["error"])
                return
            show_token_bars(self.state["top_k"], f"What comes after {self.state['prompt']!r}?")
            plt.show()

    def _ipython_display_(self):
        display(W.VBox([W.HBox([self.text, self.button]), self.k, self.out]))


class TemperatureExplorer(CourseWidget):
    """Drag temperature 0–2 to reshape the cached distribution; sample N completions at that temperature."""

    def __init__(self, prompt: str = "The cat sat on the", k: int = 10, n: int = 5, seed: int = 42, backend=None):
        super().__init__()
        self.prompt = prompt
        self.k = k
        self.backend = backend
        self.temperature = W.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.05, description="temperature",
                                         continuous_update=True, readout_format=".2f",
                                         style={"description_width": "initial"}, layout=W.Layout(width="60%"))
        self.seed = W.IntText(value=seed, description="seed")
        self.n = W.IntSlider(value=n, min=1, max=20, description="samples")
        self.button = W.Button(style=action_style(), layout=W.Layout(width="auto"))
        self.entropy_label = W.HTML()
        self.chart = W.Output()
        self.samples_out = W.Output()
        self.samples: list = []
        self._sampled_with = None  # (temperature, n, seed) of the samples on screen
        self.temperature.observe(lambda _: self.update(), names="value")
        for control in (self.n, self.seed):
            control.observe(lambda _: self._sync_button(), names="value")
        self.button.on_click(lambda _: self.sample())
        self.update()

    def _settings(self) -> tuple:
        return (self.temperature.value, self.n.value, self.seed.value)

    def _sync_button(self) -> None:
        """The button names what it will do; it is disabled while the samples on screen already match the settings
        (the same temperature, number and seed give the same samples)."""
        self.button.description = f"Sample {self.n.value} completion{'s' if self.n.value != 1 else ''}"
        self.button.disabled = self._settings() == self._sampled_with
        self.button.tooltip = ("These samples match the settings: change the temperature, the number or the seed"
                               if self.button.disabled else "Ask the model to finish the sentence at this temperature")

    def update(self) -> dict:
        """Reshape the distribution at the slider's temperature (no model call: logits are cached)."""
        self.state = self.attempt(temperature_view, self.prompt, self.temperature.value, self.k)
        if self.state["error"]:
            self.entropy_label.value = error_html(self.state["error"])
        else:
            self.entropy_label.value = (
                f"<b>Entropy:</b> {self.state['entropy_bits']:.2f} bits "
                f"(0 = always the same token; higher = more surprise)"
            )
        with self.chart:
            self.chart.clear_output(wait=True)
            if not self.state.get("error"):
                show_token_bars(self.state["top_k"], f"Next token after {self.prompt!r} at temperature {self.temperature.value:.2f}")
                plt.show()
        self._sync_button()
        return self.state

    def sample(self) -> list:
        """Generate N completions at the current temperature and seed; errors are shown, not raised."""
        drawn = self.attempt(sample_completions, self.prompt, self.temperature.value, self.n.value, self.seed.value,
                             backend=self.backend)
        self.samples = drawn.get("result") or []
        self.state["samples_error"] = drawn["error"]
        self.state["samples"] = [g.text for g in self.samples]
        with self.samples_out:
            self.samples_out.clear_output(wait=True)
            if self.state["samples_error"]:
                print("⚠️", self.state["samples_error"])
            for i, g in enumerate(self.samples, 1):
                print(f"{i:>2}. {self.prompt} … {g.text}")
            if self.samples:
                distinct = len(set(self.state["samples"]))
                print(f"\n{distinct} distinct of {len(self.samples)} · {self.samples[0].receipt()}")
        self._sampled_with = self._settings() if self.samples else None
        self._sync_button()
        return self.samples

    def _ipython_display_(self):
        display(W.VBox([self.temperature, self.entropy_label, self.chart, W.HBox([self.n, self.seed, self.button]), self.samples_out]))
