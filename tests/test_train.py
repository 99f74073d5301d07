"""Training mechanics on a small synthetic matrix (the shipped model is trained on real corpora)."""

from __future__ import annotations

import warnings

import numpy as np

from classifier.model import LABELS
from features.text_schema import TEXT_SCHEMAS, TRAIN_SCHEMA, TRAINABLE_SCHEMAS
from training.corpora import LabeledPage
from training.dataset import Matrix
from training.train import fit_network, member_logits


def _data(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(LABELS), size=n)
    X = rng.normal(size=(n, len(TEXT_SCHEMAS[TRAIN_SCHEMA]))).astype(np.float32)
    X[:, :8] += 4 * y[:, None]  # a few informative columns
    return X, y


def test_ensemble_has_the_requested_networks_and_averages_them() -> None:
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs: convergence warnings expected
        model = fit_network(X, y, seed=0, max_epochs=20, n_networks=3)
    assert len(model.members) == 2
    nets = [(model.weights, model.biases), *model.members]
    assert not np.array_equal(nets[0][0][0], nets[1][0][0])  # different seeds, different networks
    P = model.predict_proba(X)
    assert P.shape == (len(y), len(LABELS)) and np.allclose(P.sum(axis=1), 1.0)
    assert (P.argmax(axis=1) == y).mean() > 0.5  # learned the informative column
    each = member_logits(model, X)  # what train --save-oof stores per network
    assert each.shape == (3, len(y), len(LABELS))
    assert not np.allclose(each[0], each[1])
    assert np.allclose(each.mean(axis=0), model.logits(X), atol=1e-5)


def test_single_network_has_no_members() -> None:
    X, y = _data(seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fit_network(X, y, seed=0, max_epochs=3, n_networks=1)
    assert model.members == []


def test_schema_sets_the_model_columns() -> None:
    """`train --schema` records the schema and its column names; the default is the shipped model's."""
    import json
    from pathlib import Path

    shipped = json.loads((Path(__file__).resolve().parents[1] / "data" / "model-text.json").read_text())["schema"]
    assert shipped == TRAIN_SCHEMA  # so the model card's command rebuilds the shipped model
    for schema in TRAINABLE_SCHEMAS:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(60, len(TEXT_SCHEMAS[schema]))).astype(np.float32)
        y = np.arange(60) % len(LABELS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = fit_network(X, y, seed=0, max_epochs=2, n_networks=1, schema=schema)
        assert model.schema == schema and tuple(model.feature_names) == TEXT_SCHEMAS[schema]


def _site_matrix() -> Matrix:
    """Two sites of three pages each, every page in two renderings plus a spam-inserted copy."""
    pages = []
    for site in ("slashdot.org", "guardian.co.uk"):
        for k in range(3):
            base = f"dragnet/{site}-{k}"
            for suffix in ("#gold", "#full", "#trimmed+yt:r0"):
                pages.append(LabeledPage(base + suffix, "dragnet", site, ["a", "b"], ["editorial", "comment"], site))
    offsets = np.arange(len(pages) + 1) * 2
    groups = np.repeat([p.group for p in pages], 2)
    return Matrix(np.zeros((len(groups), 1)), np.zeros(len(groups), dtype=np.int64), groups,
                  np.repeat(np.arange(len(pages)), 2), pages, offsets)


def test_cv_by_page_keeps_renderings_together_and_lets_sites_straddle() -> None:
    from training.train import cv_groups, fold_pages

    M = _site_matrix()
    base = [p.id.split("#")[0] for p in M.pages]
    site = [p.group for p in M.pages]
    for by, key in (("page", base), ("source", site)):
        assert len(set(cv_groups(M, by).tolist())) == len(set(key))
        straddle = False
        for tr, te in fold_pages(M, 2 if by == "source" else 3, by):
            assert not {key[i] for i in tr} & {key[i] for i in te}  # a group never straddles
            straddle |= bool({site[i] for i in tr} & {site[i] for i in te})
        assert straddle == (by == "page")  # only page grouping puts a site on both sides


def test_cv_by_rejects_an_unknown_grouping() -> None:
    import pytest

    from training.train import cv_groups

    with pytest.raises(ValueError, match="grouping"):
        cv_groups(_site_matrix(), "domain")


def test_student_is_one_network_on_the_teachers_scale_and_inputs() -> None:
    """`train --distill`: the student copies the teacher's scaler, runs one network, and its
    logits follow the teacher's (same argmax on most rows, same scale after centring)."""
    from training.train import fit_student

    X, y = _data(n=1200, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        teacher = fit_network(X, y, seed=0, max_epochs=30, n_networks=3)
        student = fit_student(X, y, teacher, seed=0, max_epochs=60)
    assert student.members == [] and student.schema == teacher.schema
    assert np.array_equal(student.mean, teacher.mean) and np.array_equal(student.scale, teacher.scale)
    assert [w.shape for w in student.weights] == [w.shape for w in teacher.weights]
    t, s = teacher.logits(X).astype(np.float64), student.logits(X).astype(np.float64)
    assert (s.argmax(axis=1) == t.argmax(axis=1)).mean() > 0.9
    t -= t.mean(axis=1, keepdims=True)
    s -= s.mean(axis=1, keepdims=True)
    # Multiplied back by DISTILL_SCALE: without that the student's logits would be ~5x smaller.
    assert 0.7 < s.std() / t.std() < 1.3


def _size_data(n: int = 3000, seed: int = 4) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Noise, except the ignored columns, which give the label away."""
    from training.options import PAGE_SIZE_COLUMNS

    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(LABELS), size=n)
    X = rng.normal(size=(n, len(TEXT_SCHEMAS[TRAIN_SCHEMA]))).astype(np.float32)
    cols = [TEXT_SCHEMAS[TRAIN_SCHEMA].index(c) for c in PAGE_SIZE_COLUMNS]
    X[:, cols] += 4 * y[:, None]
    return X, y, cols


def test_ignored_columns_are_not_read_by_any_network_or_the_student() -> None:
    """The page-size columns (``train --ignore-column page-size``) carry the label here; a model told to ignore
    them must not learn it, must give the same logits whatever they hold, and says so in its
    header. The same fit without ``ignore`` learns it (so the check can fail)."""
    from training.options import PAGE_SIZE_COLUMNS
    from training.train import fit_student

    X, y, cols = _size_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reads = fit_network(X, y, seed=0, max_epochs=30, n_networks=2)
        blind = fit_network(X, y, seed=0, max_epochs=30, n_networks=2, ignore=PAGE_SIZE_COLUMNS)
        student = fit_student(X, y, blind, seed=0, max_epochs=20)
    Xt, yt, _ = _size_data(n=1000, seed=6)  # new rows: what a network learned, not what it memorised
    assert (reads.predict_proba(Xt).argmax(axis=1) == yt).mean() > 0.5
    assert (blind.predict_proba(Xt).argmax(axis=1) == yt).mean() < 0.35  # four labels: chance is ~0.25
    assert sorted(blind.meta["ignored_columns"]) == sorted(PAGE_SIZE_COLUMNS)
    assert student.meta["ignored_columns"] == blind.meta["ignored_columns"]
    assert "ignored_columns" not in reads.meta
    other = X.copy()
    other[:, cols] = np.random.default_rng(5).normal(scale=50, size=(len(y), len(cols)))
    for model in (blind, student):
        assert all(not w[0][cols].any() for w, _ in [(model.weights, model.biases), *model.members])
        assert np.array_equal(model.logits(X), model.logits(other))
    assert not np.array_equal(reads.logits(X), reads.logits(other))


def _cv_matrix(n_pages: int = 30, rows: int = 12) -> Matrix:
    """Synthetic pages from six sites with one informative column (cross-validation mechanics)."""
    rng = np.random.default_rng(3)
    pages, ys, groups = [], [], []
    for i in range(n_pages):
        site = f"site{i % 6}.example"
        labels = rng.integers(0, len(LABELS), size=rows)
        pages.append(LabeledPage(f"p{i}", "user", site, ["x"] * rows, [LABELS[k] for k in labels], site))
        ys.append(labels)
        groups += [site] * rows
    y = np.concatenate(ys)
    X = rng.normal(size=(len(y), len(TEXT_SCHEMAS[TRAIN_SCHEMA]))).astype(np.float32)
    X[:, :8] += 3 * y[:, None]
    return Matrix(X, y, np.array(groups), np.repeat(np.arange(n_pages), rows), pages,
                  np.arange(n_pages + 1) * rows)


def test_folds_in_processes_and_from_checkpoints_give_the_same_figures(tmp_path, monkeypatch) -> None:
    """`--jobs 2` and a resumed `--checkpoint` run give what one process gives; a kept fold is
    reused only for the same data and settings."""
    import pytest

    from classifier.model import one_blas_thread
    from training import train

    M = _cv_matrix()
    kw = {"folds": 3, "max_epochs": 4, "log": lambda s: None, "n_networks": 2, "distill": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = train.cross_validate(M, seed=0, **kw)
        two = train.cross_validate(M, seed=0, jobs=2, checkpoint=tmp_path / "ck", **kw)
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == ["fold-0.npz", "fold-1.npz", "fold-2.npz"]
    for key in ("logits", "member_logits", "teacher_logits", "decoded", "teacher_decoded"):
        assert np.array_equal(one[key], two[key]), key
    assert one["temperature"] == two["temperature"]
    assert not np.array_equal(one["logits"], one["teacher_logits"])  # the student's, not the teacher's
    # A kept fold also holds its teacher's logits on its training rows, for other students later:
    # the same student is fitted from them as from the teacher.
    tr, te = [np.concatenate([np.arange(M.offsets[i], M.offsets[i + 1]) for i in pages])
              for pages in train.fold_pages(M, 3)[1]]
    kept = np.load(tmp_path / "ck" / "fold-1.npz")
    assert kept["teacher_train_logits"].shape == (len(tr), len(LABELS))
    with warnings.catch_warnings(), one_blas_thread():  # as the folds run
        warnings.simplefilter("ignore")
        teacher = fit_network(M.X[tr], M.y[tr], seed=1, max_epochs=4, n_networks=2)
        again = train.fit_student(M.X[tr], M.y[tr], teacher, seed=1, max_epochs=4,
                                  teacher_logits=kept["teacher_train_logits"])
    assert np.array_equal(again.logits(M.X[te]), kept["student"])

    def refit(*a, **k):
        raise AssertionError("a kept fold was fitted again")

    monkeypatch.setattr(train, "_fold", refit)
    again = train.cross_validate(M, seed=0, checkpoint=tmp_path / "ck", **kw)
    assert np.array_equal(again["logits"], one["logits"])
    with pytest.raises(AssertionError, match="fitted again"):  # another seed: other folds
        train.cross_validate(M, seed=1, checkpoint=tmp_path / "ck", **kw)
    M.X[0, 0] += 1.0  # other data: the same
    with pytest.raises(AssertionError, match="fitted again"):
        train.cross_validate(M, seed=0, checkpoint=tmp_path / "ck", **kw)


def test_a_stopped_run_keeps_the_folds_it_finished(tmp_path, monkeypatch) -> None:
    import pytest

    from training import train

    M = _cv_matrix()
    kw = {"folds": 3, "max_epochs": 3, "log": lambda s: None, "n_networks": 1, "checkpoint": tmp_path / "ck"}
    real, calls = train.fit_network, []

    def dies_on_the_third_fold(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(train, "fit_network", dies_on_the_third_fold)
    with warnings.catch_warnings(), pytest.raises(KeyboardInterrupt):
        warnings.simplefilter("ignore")
        train.cross_validate(M, seed=0, **kw)
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == ["fold-0.npz", "fold-1.npz"]
    monkeypatch.setattr(train, "fit_network", real)
    real_fold, fitted = train._fold, []

    def counted(*a, **k):
        fitted.append(1)
        return real_fold(*a, **k)

    monkeypatch.setattr(train, "_fold", counted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resumed = train.cross_validate(M, seed=0, **kw)
        assert len(fitted) == 1  # only the fold that had not finished
        fresh = train.cross_validate(M, seed=0, **{**kw, "checkpoint": None})
    assert np.array_equal(resumed["logits"], fresh["logits"])


def test_ignore_column_reaches_every_fold_and_the_final_model_and_keys_the_checkpoints(tmp_path, monkeypatch) -> None:
    """`train --ignore-column`: each fold's networks and the final model are fitted without the
    columns, and a fold kept by a run that read them is not reused."""
    from training import options, train

    M = _cv_matrix()
    cols = [TEXT_SCHEMAS[TRAIN_SCHEMA].index(c) for c in options.PAGE_SIZE_COLUMNS]
    M.X[:, cols] += 3 * M.y[:, None]  # the label, in the ignored columns
    seen: list[tuple[str, ...]] = []
    real = train.fit_network

    def spy(*a, **k):
        seen.append(tuple(k.get("ignore", ())))
        return real(*a, **k)

    monkeypatch.setattr(train, "fit_network", spy)
    kw = {"folds": 3, "max_epochs": 3, "log": lambda s: None, "n_networks": 1, "checkpoint": tmp_path / "ck"}
    final = (0, 3, 1, TRAIN_SCHEMA, False, None, None, None, 0, options.PAGE_SIZE_COLUMNS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train.cross_validate(M, seed=0, **kw)  # reads every column: its folds are kept
        assert seen == [()] * 3
        seen.clear()
        cv = train.cross_validate(M, seed=0, final=final, ignore=options.PAGE_SIZE_COLUMNS, **kw)
    assert seen == [options.PAGE_SIZE_COLUMNS] * 4  # three folds refitted, not reused, and the final model
    assert sorted(cv["final"].meta["ignored_columns"]) == sorted(options.PAGE_SIZE_COLUMNS)


def test_ignore_column_names_expand_page_size_and_refuse_unknown_names() -> None:
    import click
    import pytest

    from training.options import PAGE_SIZE_COLUMNS, ignore_column_names

    names = TEXT_SCHEMAS[TRAIN_SCHEMA]
    assert ignore_column_names(("page-size", "log_n_blocks", "rel_pos"), names) == (*PAGE_SIZE_COLUMNS, "rel_pos")
    assert ignore_column_names((), names) == ()
    with pytest.raises(click.BadParameter, match="not a column"):
        ignore_column_names(("log_n_block",), names)


def test_hidden_sets_the_networks_widths_and_a_student_takes_its_teachers() -> None:
    """`train --hidden 8`: every network has one hidden layer of 8, the header says so through
    the weights, and a student (`--distill`) has its teacher's widths, not the default's."""
    from training.train import HIDDEN_LAYERS, fit_student, hidden_widths

    X, y = _data(n=600, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        narrow = fit_network(X, y, seed=0, max_epochs=5, n_networks=2, hidden=(8,))
        default = fit_network(X, y, seed=0, max_epochs=5, n_networks=1)
        student = fit_student(X, y, narrow, seed=0, max_epochs=5)
    for weights, _ in [(narrow.weights, narrow.biases), *narrow.members]:
        assert [w.shape for w in weights] == [(X.shape[1], 8), (8, len(LABELS))]
    assert hidden_widths(narrow) == hidden_widths(student) == (8,)
    assert hidden_widths(default) == HIDDEN_LAYERS
    assert narrow.logits(X).shape == (len(y), len(LABELS))


def test_hidden_reaches_every_fold_and_the_final_model_and_keys_the_checkpoints(tmp_path, monkeypatch) -> None:
    """`train --hidden`: each fold's networks and the final model get the widths; a fold kept by a
    run of the default widths is not reused, and naming the default widths keeps the old keys."""
    from training import train

    M = _cv_matrix()
    seen: list = []
    real = train.fit_network

    def spy(*a, **k):
        seen.append(k.get("hidden"))
        return real(*a, **k)

    monkeypatch.setattr(train, "fit_network", spy)
    kw = {"folds": 3, "max_epochs": 3, "log": lambda s: None, "n_networks": 1, "checkpoint": tmp_path / "ck"}
    final = (0, 3, 1, TRAIN_SCHEMA, False, None, None, None, 0, (), (8, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train.cross_validate(M, seed=0, **kw)  # the default widths: its folds are kept
        assert seen == [None] * 3
        seen.clear()
        train.cross_validate(M, seed=0, hidden=train.HIDDEN_LAYERS, **kw)  # the same widths, named: reused
        assert seen == []
        cv = train.cross_validate(M, seed=0, final=final, hidden=(8, 4), **kw)
    assert seen == [(8, 4)] * 4  # three folds refitted, not reused, and the final model
    assert train.hidden_widths(cv["final"]) == (8, 4)


def test_parse_hidden_reads_widths_and_refuses_the_rest() -> None:
    import click
    import pytest

    from training.options import MAX_HIDDEN_LAYERS, parse_hidden

    assert parse_hidden("96,64") == (96, 64) and parse_hidden("32") == (32,)
    for bad in ("", "0", "96,", "x,64", "-8", ",".join(["8"] * (MAX_HIDDEN_LAYERS + 1))):
        with pytest.raises(click.BadParameter, match="positive widths"):
            parse_hidden(bad)
