"""Cluster monitored post texts into narratives (TF-IDF over words and characters), label them, follow their volume.

Clusters whose centres are near-duplicates merge; each narrative is labelled by its most distinctive terms
(class-based TF-IDF: a term's share of the narrative's words times log(1 + average words per narrative / the term's
words in all narratives)) and shown with its most representative post.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, literal_column, select
from sqlalchemy.orm import Session

from planner import audit, dataaccess
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.errors import PlannerError
from planner.models import Narrative, NarrativePost, Post, utcnow
from planner.trends import Progress, load_posts, stop_words

# Texts clustered at most (a seeded sample); the rest are assigned to the nearest narrative.
MAX_FIT_TEXTS = 20_000
SAMPLES_PER_NARRATIVE = 5
_CLEAN_RE = r"(?:https?://|www\.)\S+|@\w+"
_TOKEN_RE = r"(?u)#?\b[^\W\d_][\w'-]+\b"
# Characters of each text the features look at (long posts state their narrative early).
TEXT_CHARS = 400
CHAR_WEIGHT = 0.7
LSA_DIMS = 50
SMALL_CORPUS = 1000
# Clusters whose centres (in the reduced space) are at least this similar tell the same story and merge.
MERGE_SIMILARITY = 0.7
LABEL_TERMS = 3
# Key in a narrative's params of its posts per hour, kept so the volume chart never reads the posts.
HOURLY = "hourly"


class NarrativeError(PlannerError):
    """Too few posts to cluster, or bad clustering parameters."""


@dataclass
class Clustering:
    """Narrative of every input text, with each narrative's top terms and most representative texts."""

    labels: np.ndarray  # narrative index per input text
    top_terms: list[list[str]]
    samples: list[list[int]]  # positions of representative input texts per narrative


def normalize(matrix):
    """L2-normalise rows with scikit-learn, imported on first use so commands that never cluster start fast."""
    from sklearn.preprocessing import normalize as l2_normalize

    return l2_normalize(matrix)


class _Features:
    """TF-IDF over word uni/bigrams and character n-grams (so Arabic and Russian work), reduced by LSA."""

    def __init__(self, langs: pd.Series, seed: int) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        # Texts are deduplicated first, so on few distinct texts a term seen once is still a real signal.
        min_df = 1 if len(langs) < SMALL_CORPUS else 2
        stops = set().union(*(stop_words(code) for code in pd.unique(langs.fillna("").str[:2])))
        # Only single-token stop words, so they match what the tokenizer produces.
        stops = sorted(w for w in stops if re.fullmatch(_TOKEN_RE, w))
        self.words = TfidfVectorizer(
            token_pattern=_TOKEN_RE,
            ngram_range=(1, 2),
            stop_words=stops or None,
            min_df=min_df,
            max_df=0.5,
            max_features=30_000,
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 4),
            min_df=min_df,
            max_features=30_000,
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.seed = seed
        self.has_words = True

    def fit_transform(self, texts: pd.Series) -> np.ndarray:
        import scipy.sparse as sp
        from sklearn.decomposition import TruncatedSVD

        texts = texts.str.slice(0, TEXT_CHARS)
        try:
            w = self.words.fit_transform(texts)
        except ValueError:  # every word is a stop word or too rare
            self.has_words = False
            w = sp.csr_matrix((len(texts), 0), dtype=np.float32)
        self.n_words = w.shape[1]
        c = self.chars.fit_transform(texts)
        matrix = sp.hstack([normalize(w), normalize(c) * CHAR_WEIGHT]).tocsr()
        dims = max(1, min(LSA_DIMS, matrix.shape[0] - 1, matrix.shape[1] - 1))
        self.svd = TruncatedSVD(n_components=dims, n_iter=3, random_state=self.seed)
        return normalize(self.svd.fit_transform(matrix))

    def transform(self, texts: pd.Series) -> np.ndarray:
        import scipy.sparse as sp

        texts = texts.str.slice(0, TEXT_CHARS)
        w = self.words.transform(texts) if self.has_words else sp.csr_matrix((len(texts), 0), dtype=np.float32)
        matrix = sp.hstack([normalize(w), normalize(self.chars.transform(texts)) * CHAR_WEIGHT]).tocsr()
        return normalize(self.svd.transform(matrix))

    def top_words(
        self, texts: pd.Series, labels: np.ndarray, weights: np.ndarray, k: int, n: int = 4
    ) -> list[list[str]]:
        """Return each cluster's most distinctive word n-grams by class-based TF-IDF, skipping repeats of words."""
        if not self.has_words:
            return [[] for _ in range(k)]
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import CountVectorizer

        counter = CountVectorizer(token_pattern=_TOKEN_RE, ngram_range=(1, 2), vocabulary=self.words.vocabulary_)
        words = counter.transform(texts.str.slice(0, TEXT_CHARS))
        member = sp.csr_matrix((weights, (labels, np.arange(len(labels)))), shape=(k, len(labels)))
        freq = np.asarray((member @ words).todense())  # term counts per cluster
        per_class = freq.sum(axis=1, keepdims=True)
        tf = freq / np.maximum(per_class, 1.0)
        idf = np.log1p(per_class.mean() / np.maximum(freq.sum(axis=0), 1.0))
        ctfidf = tf * idf[None, :]
        vocab = counter.get_feature_names_out()
        out = []
        for row in ctfidf:
            chosen: list[str] = []
            seen: set[str] = set()
            for i in np.argsort(-row, kind="stable"):
                if row[i] <= 0 or len(chosen) == n:
                    break
                term_words = set(str(vocab[i]).split())
                if term_words <= seen:
                    continue  # every word of it is already in the label
                chosen.append(str(vocab[i]))
                seen |= term_words
            out.append(chosen)
        return out


def _merge_near_duplicates(centres: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Return (labels with near-duplicate clusters merged and renumbered, cluster count)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    unit = normalize(centres)
    close = sp.csr_matrix(unit @ unit.T >= MERGE_SIMILARITY)
    _n, group = connected_components(close, directed=False)
    used = pd.unique(group[labels])
    renumber = np.full(len(group), -1)
    renumber[used] = np.arange(len(used))  # in order of first appearance: stable for the same input
    return renumber[group[labels]], len(used)


def cluster_texts(texts: pd.Series, langs: pd.Series | None = None, n_clusters: int = 8, seed: int = 0) -> Clustering:
    """Cluster texts (any language) into at most `n_clusters` narratives; the same input and seed give the same result.

    Raises NarrativeError when there are fewer than 2 distinct texts.
    """
    if n_clusters < 2:
        raise NarrativeError("n_clusters: use at least 2")
    clean = texts.fillna("").astype(str).str.replace(_CLEAN_RE, " ", regex=True).str.lower().str.strip()
    langs = (langs if langs is not None else pd.Series([""] * len(texts))).fillna("").astype(str)
    codes, uniques = pd.factorize(clean)
    if len(uniques) < 2:
        raise NarrativeError("need at least 2 distinct post texts to find narratives")
    weights = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
    first_lang = langs.groupby(codes).first().reindex(range(len(uniques))).fillna("")
    unique_texts = pd.Series(uniques, dtype=object).astype(str)
    rng = np.random.default_rng(seed)
    fit_idx = (
        np.sort(rng.choice(len(uniques), MAX_FIT_TEXTS, replace=False))
        if len(uniques) > MAX_FIT_TEXTS
        else np.arange(len(uniques))
    )
    features = _Features(first_lang.iloc[fit_idx], seed)
    reduced = features.fit_transform(unique_texts.iloc[fit_idx])
    k = min(n_clusters, len(fit_idx))
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=k, random_state=seed, n_init=3).fit(reduced, sample_weight=weights[fit_idx])
    full = features.transform(unique_texts) if len(fit_idx) < len(uniques) else reduced
    unique_labels, k = _merge_near_duplicates(model.cluster_centers_, model.predict(full))
    first_pos = pd.Series(np.arange(len(codes))).groupby(codes).first().reindex(range(len(uniques))).to_numpy()
    top_terms = features.top_words(unique_texts, unique_labels, weights, k)
    samples = []
    for c in range(k):
        members = np.flatnonzero(unique_labels == c)
        centre = normalize((full[members] * weights[members, None]).sum(axis=0, keepdims=True))[0]
        best = members[np.argsort(-(full[members] @ centre), kind="stable")[:SAMPLES_PER_NARRATIVE]]
        samples.append([int(first_pos[u]) for u in best])
    return Clustering(labels=unique_labels[codes], top_terms=top_terms, samples=samples)


def _label(terms: list[str], index: int) -> str:
    return " / ".join(terms[:LABEL_TERMS]) if terms else f"narrative {index + 1}"


def build_narratives(
    session: Session,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    n_clusters: int = 8,
    seed: int = 0,
    progress: Progress | None = None,
) -> list[Narrative]:
    """Cluster the posts in [since, until) into narratives, replacing the stored ones; return them, largest first.

    Raises PermissionDenied or NarrativeError.
    """
    require(actor, Action.RUN_DETECTION)
    with atomic(session):
        stored = store_narratives(session, actor, since, until, n_clusters, seed, progress)
    return stored


def store_narratives(
    session: Session,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    n_clusters: int = 8,
    seed: int = 0,
    progress: Progress | None = None,
) -> list[Narrative]:
    """Do the work of build_narratives inside the caller's transaction (the demo loader uses it); does not commit."""
    report = progress or (lambda _f, _m: None)
    report(0.0, "Loading monitored posts")
    posts = load_posts(session, since, until)
    if posts.empty:
        raise NarrativeError("no monitored posts in that range: import posts or widen the range")
    report(0.2, f"Clustering {len(posts):,} post texts")
    result = cluster_texts(posts["text"], posts["lang"], n_clusters=n_clusters, seed=seed)
    report(0.8, "Saving narratives")
    ids = posts["id"].to_numpy()
    times = posts["created_at"]
    session.execute(delete(NarrativePost))
    session.execute(delete(Narrative))
    stored = []
    labels_used: set[str] = set()
    for c, terms in enumerate(result.top_terms):
        members = np.flatnonzero(result.labels == c)
        if not len(members):
            continue
        label = _label(terms, c)
        if label in labels_used:
            label = f"{label} ({c + 1})"
        labels_used.add(label)
        narrative = Narrative(
            label=label,
            top_terms=json.dumps(terms, ensure_ascii=False),
            size=len(members),
            first_at=times.iloc[members].min().to_pydatetime(),
            last_at=times.iloc[members].max().to_pydatetime(),
            created_at=utcnow(),
            params=json.dumps(
                {
                    "n_clusters": n_clusters,
                    "seed": seed,
                    "sample_post_ids": [int(ids[i]) for i in result.samples[c]],
                    HOURLY: _hourly(times.iloc[members]),
                }
            ),
        )
        session.add(narrative)
        session.flush()
        session.execute(
            NarrativePost.__table__.insert(),
            [{"narrative_id": narrative.id, "post_id": int(p)} for p in ids[members]],
        )
        stored.append(narrative)
    audit.record(
        session,
        actor,
        "narratives.build",
        "narrative",
        "",
        f"{len(stored)} narratives from {len(posts):,} posts (k={n_clusters}, seed={seed})",
    )
    report(1.0, f"Found {len(stored)} narratives")
    return sorted(stored, key=lambda n: -n.size)


def list_narratives(session: Session) -> pd.DataFrame:
    """Return the stored narratives (id, label, top_terms, representative, size, first_at, last_at), largest first.

    representative is the text of the narrative's most representative post (closest to its centre).
    """
    rows = session.execute(
        select(
            Narrative.id,
            Narrative.label,
            Narrative.top_terms,
            Narrative.params,
            Narrative.size,
            Narrative.first_at,
            Narrative.last_at,
        ).order_by(Narrative.size.desc(), Narrative.id)
    ).all()
    frame = pd.DataFrame(rows, columns=["id", "label", "top_terms", "params", "size", "first_at", "last_at"])
    frame["top_terms"] = frame["top_terms"].map(lambda t: ", ".join(json.loads(t)))
    first = frame["params"].map(lambda p: (json.loads(p or "{}").get("sample_post_ids") or [None])[0])
    wanted = [int(i) for i in first.dropna()]
    texts = dict(session.execute(select(Post.id, Post.text).where(Post.id.in_(wanted))).all()) if wanted else {}
    frame["representative"] = first.map(lambda i: texts.get(i, "") if i is not None else "")
    return frame[["id", "label", "top_terms", "representative", "size", "first_at", "last_at"]]


def _member_counts(session: Session) -> dict[int, int]:
    """Return the number of member posts of every narrative (read from the membership key alone)."""
    stmt = select(NarrativePost.narrative_id, func.count()).group_by(NarrativePost.narrative_id)
    return {int(nid): int(n) for nid, n in session.execute(stmt)}


def _hourly(times: pd.Series) -> dict:
    """Return posts per hour as {"start": first hour (ISO, UTC), "counts": [one count per hour from it]}."""
    return _stored_hours(pd.to_datetime(times, utc=True).dt.floor("h").value_counts())


def _stored_hours(counts: pd.Series) -> dict:
    """Return counts indexed by whole hours as stored in a narrative's params (see _hourly)."""
    counts = counts.sort_index()
    full = counts.reindex(pd.date_range(counts.index.min(), counts.index.max(), freq="h"), fill_value=0)
    return {"start": full.index[0].isoformat(), "counts": [int(v) for v in full.to_numpy()]}


def _bucket_counts(session: Session, step: pd.Timedelta, narrative_ids: list[int] | None = None) -> pd.DataFrame:
    """Count member posts per narrative and bucket in SQL, one row per (narrative, bucket): narrative_id,
    bucket_start, posts."""
    bucket = dataaccess.time_bucket("posts.created_at", int(step.total_seconds()), dataaccess.dialect(session))
    slot = literal_column(bucket).label("slot")
    stmt = (
        select(NarrativePost.narrative_id, slot, func.count().label("posts"))
        .join(Post, Post.id == NarrativePost.post_id)
        .group_by(NarrativePost.narrative_id, slot)
    )
    if narrative_ids is not None:
        stmt = stmt.where(NarrativePost.narrative_id.in_(narrative_ids))
    frame = pd.DataFrame(session.execute(stmt).all(), columns=["narrative_id", "slot", "posts"])
    frame["bucket_start"] = pd.to_datetime(frame["slot"].astype("int64"), unit="us", utc=True)
    return frame[["narrative_id", "bucket_start", "posts"]]


def refresh_volume(session: Session) -> int:
    """Recount every stored narrative's posts per hour (and its size, first and last post) from its members in SQL
    and store them; return how many narratives have members. For narratives whose members changed after they were
    built, e.g. posts joined to them in bulk. Does not commit."""
    counts = _bucket_counts(session, pd.Timedelta(hours=1))
    spans = {
        nid: (first, last)
        for nid, first, last in session.execute(
            select(NarrativePost.narrative_id, func.min(Post.created_at), func.max(Post.created_at))
            .join(Post, Post.id == NarrativePost.post_id)
            .group_by(NarrativePost.narrative_id)
        )
    }
    for narrative in session.scalars(select(Narrative)):
        mine = counts[counts["narrative_id"] == narrative.id]
        params = json.loads(narrative.params or "{}")
        if mine.empty:
            params.pop(HOURLY, None)
            narrative.size = 0
        else:
            params[HOURLY] = _stored_hours(mine.set_index("bucket_start")["posts"])
            narrative.size = int(mine["posts"].sum())
            narrative.first_at, narrative.last_at = spans[narrative.id]
        narrative.params = json.dumps(params)
    session.flush()
    return len(counts["narrative_id"].unique())


def narrative_volume(session: Session, bucket: str | pd.Timedelta = "1h") -> pd.DataFrame:
    """Return posts per bucket per narrative (bucket_start, narrative, posts), zero-filled.

    Whole-hour buckets add up the hourly counts stored with each narrative when it was built; other buckets, and
    narratives stored without hourly counts or whose members changed since (an undone import removed posts), are
    counted in SQL (one row per narrative and bucket, never one per post).
    """
    from planner.trends import parse_bucket

    step = parse_bucket(bucket)
    rows = session.execute(select(Narrative.id, Narrative.label, Narrative.params)).all()
    hourly = step % pd.Timedelta(hours=1) == pd.Timedelta(0)
    members = _member_counts(session)
    parts, missing = [], {}
    for narrative_id, label, params in rows:
        stored = json.loads(params or "{}").get(HOURLY) if hourly else None
        if stored and stored["counts"] and sum(stored["counts"]) == members.get(narrative_id, 0):
            index = pd.date_range(pd.Timestamp(stored["start"]), periods=len(stored["counts"]), freq="h")
            parts.append(pd.DataFrame({"bucket_start": index, "narrative": label, "posts": stored["counts"]}))
        else:
            missing[narrative_id] = label
    if missing:
        counted = _bucket_counts(session, pd.Timedelta(hours=1) if hourly else step, list(missing))
        parts.append(counted.assign(narrative=counted["narrative_id"].map(missing)).drop(columns="narrative_id"))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if frame.empty or not frame["posts"].sum():
        return pd.DataFrame(columns=["bucket_start", "narrative", "posts"])
    frame["bucket_start"] = pd.to_datetime(frame["bucket_start"], utc=True).dt.floor(step)
    table = frame.groupby(["bucket_start", "narrative"])["posts"].sum().unstack(fill_value=0)
    full = pd.date_range(table.index.min(), table.index.max(), freq=step)
    table = table.reindex(full, fill_value=0)
    table.index.name = "bucket_start"
    return table.stack().rename("posts").reset_index()


def sample_posts(session: Session, narrative_id: int) -> pd.DataFrame:
    """Return the most representative monitored posts of a narrative (id, created_at, author_handle, text)."""
    narrative = session.get(Narrative, narrative_id)
    if narrative is None:
        raise NarrativeError(f"no narrative with id {narrative_id}")
    ids = json.loads(narrative.params or "{}").get("sample_post_ids", [])
    rows = session.execute(
        select(Post.id, Post.created_at, Post.author_handle, Post.text).where(Post.id.in_(ids))
    ).all()
    frame = pd.DataFrame(rows, columns=["id", "created_at", "author_handle", "text"])
    return frame.set_index("id").reindex(ids).dropna(subset=["text"]).reset_index()


def narrative_of_posts(session: Session, post_ids: list[int]) -> str | None:
    """Return the label of the narrative most of `post_ids` belong to, or None."""
    if not post_ids:
        return None
    rows = session.execute(
        select(Narrative.label)
        .join(NarrativePost, NarrativePost.narrative_id == Narrative.id)
        .where(NarrativePost.post_id.in_(post_ids))
    ).scalars()
    labels = pd.Series(list(rows), dtype=object)
    return None if labels.empty else str(labels.value_counts().index[0])
