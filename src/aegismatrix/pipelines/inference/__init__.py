"""The `inference` pipeline: frozen models + fresh data -> every engine's signals ->
aegismatrix.json.

`create_pipeline` is imported lazily so that `aegismatrix.pipelines.inference.hooks` (registered in
settings.py) loads without importing every engine at start-up.
"""


def create_pipeline(**kwargs):
    from .pipeline import create_pipeline as _create

    return _create(**kwargs)


__all__ = ["create_pipeline"]
