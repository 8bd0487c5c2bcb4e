"""Interactive widgets of the lessons (ipywidgets 8 + matplotlib, no extra JupyterLab extension).

Each widget lives in a module named after its idea and comes with a plain drawing
function that also makes the static figure shown when no kernel is running.
"""

from __future__ import annotations

import base64
import io

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def show_figure(out, fig: Figure, dpi: int = 100, **savefig_kwargs) -> None:
    """Replace what a ``widgets.Output`` shows with ``fig`` (as a PNG), then close ``fig``.

    Assigning ``out.outputs`` (rather than drawing inside ``with out:``) swaps the picture
    without flicker and works without a front end: in tests, and in nbclient, whose
    output-widget hook fails when widget state is not stored.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, **savefig_kwargs)
    plt.close(fig)  # no-op for a bare Figure; frees pyplot's reference otherwise
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    out.outputs = ({"output_type": "display_data",
                    "data": {"image/png": png, "text/plain": "<Figure>"},
                    "metadata": {}},)
