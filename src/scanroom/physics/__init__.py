"""Pure numerics: materials, digital patients and one package per modality.

No I/O (besides loading bundled data files), no database, no web. Everything above imports from here;
nothing here imports from above.
"""
