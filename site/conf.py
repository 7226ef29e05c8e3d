"""Sphinx settings for the course website (`make site`; tools/build_site.py stages the pages and runs Sphinx).

Why Sphinx with MyST-NB and the book theme: they render executed notebooks with their outputs and saved widget views,
build with no network (search is a local index; the widget renderer is vendored from npm into _static/vendor), and
are the stack d2l-style course sites and Jupyter Book use. Notebooks are never executed here (nb_execution_mode off):
tools/build_site.py executes each lesson once and Sphinx reads those copies.
"""
project = "AI PM Lab"
author = "AI PM Lab contributors"
extensions = ["myst_nb"]
html_theme = "sphinx_book_theme"
html_title = "AI PM Lab"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_js_files = ["course-a11y.js"]
html_theme_options = {"use_download_button": False, "use_fullscreen_button": False, "show_toc_level": 2}
html_show_sourcelink = False
html_copy_source = False
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]
exclude_patterns = ["_build", "node_modules", "**/outputs"]
# The widget renderer, vendored from npm (site/package.json): the site works offline and shows each widget's last view.
nb_ipywidgets_js = {"vendor/require.js": {}, "vendor/embed-amd.js": {"data-jupyter-widgets-cdn": "vendor/"}}
html_context = {"default_mode": "light"}  # the theme's light/dark switch starts on light (no console error on first visit)
