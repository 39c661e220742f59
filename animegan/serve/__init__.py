"""``animegan serve``: a web page to try styles on your own photos and videos, and an HTTP API.

One FastAPI app holds both: the REST routes (``rest.py``: ``POST /v1/stylize``, ``GET /v1/models``)
and the Gradio page mounted at ``/`` (``page.py``, whose own API ``gradio_client`` uses). Every model
call goes through one ``ModelWorker`` (``worker.py``): one call at a time, a bounded queue, 429 past it.
Styles are looked up by name only (``styles.py``); uploads are checked against ``Limits`` (``limits.py``)
and deleted once read (``uploads.py``). ``app.py`` wires them; nothing here runs at import time, and
gradio is imported only by ``page.py`` and ``app.py``.
"""
