"""The Spark engine: the same plan on Spark SQL, for data that outgrows one machine.

``Program.evaluate(facts, engine="spark")`` runs on the active
``SparkSession`` (or a new local one): every relation is a temporary view over
a DataFrame, each stratum is evaluated by :class:`~neurosym.logic._sqlengine.SQLDriver`
with the compiled SQLGlot trees translated to Spark SQL, and a recursive
stratum runs semi-naive from Python.  Every table a round produces is
checkpointed (``localCheckpoint``), so query plans never grow with the number
of rounds.  Facts may be pandas/Arrow (sent to Spark) or Spark DataFrames and
Parquet files read in place (:func:`spark_facts`).  The result store holds
every relation with its provenance (``_h``, ``_r``, ``_p``), so ``explain``,
``why_not`` and probabilities work as on DuckDB.

Each evaluation runs in its own job group, which a ``timeout`` cancels; its
temporary views (``rel_<name>``, dropped at the end) live in the session, so
two evaluations must not share a session at the same time.  Point it at
a cluster by creating the session first (``SparkSession.builder.master(...)``)
or with :class:`SparkEngine` ``(session)`` registered under a name.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from neurosym._errors import EvaluationError
from neurosym.logic._engine import Limits, Plan
from neurosym.logic._inputs import InputRelation
from neurosym.logic._sql import table_name
from neurosym.logic._sqlengine import SQLDriver, input_table
from neurosym.logic._store import ResultStore

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkEngine", "SparkRelation", "spark_facts"]

_SPARK_TYPES = {"symbol": "STRING", "number": "BIGINT", "float": "DOUBLE"}


def _session(session: "SparkSession | None" = None) -> "SparkSession":
    """``session``, else the active session, else a new local one; :class:`~neurosym.EvaluationError` without pyspark or Java."""
    if session is not None:
        return session
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise EvaluationError("the Spark engine needs pyspark: pip install 'neurosym[spark]'") from err
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    try:
        return SparkSession.builder.appName("neurosym").config("spark.ui.enabled", "false").getOrCreate()
    except Exception as err:  # pyspark raises its own errors when Java is missing or the master is unreachable
        raise EvaluationError(f"cannot start Spark (is Java 17 installed and spark.master reachable?): {err}") from err


def _rule_type(field: Any) -> str:
    from pyspark.sql import types as T

    if isinstance(field.dataType, (T.LongType, T.IntegerType, T.ShortType, T.ByteType, T.BooleanType)):
        return "number"
    if isinstance(field.dataType, (T.DoubleType, T.FloatType, T.DecimalType)):
        return "float"
    if isinstance(field.dataType, T.StringType):
        return "symbol"
    raise EvaluationError(f"column {field.name!r} has Spark type {field.dataType.simpleString()}; "
                          "facts hold strings, integers or floats")


class SparkRelation(InputRelation):
    """Facts held by Spark (a DataFrame, e.g. read from Parquet), read in place by the Spark engine.

    Leading columns are the arguments; optional ``_prob`` and ``_source`` as
    for any facts.  Other engines cannot read it: they raise
    :class:`~neurosym.EvaluationError`.
    """

    def __init__(self, name: str, dataframe: "DataFrame") -> None:
        fields = [f for f in dataframe.schema.fields if not f.name.startswith("_")]
        extra = [f.name for f in dataframe.schema.fields if f.name.startswith("_") and f.name not in ("_prob", "_source")]
        if extra:
            raise EvaluationError(f"relation {name}: unknown metadata columns {extra}; use _prob and _source")
        source = next((f for f in dataframe.schema.fields if f.name == "_source"), None)
        super().__init__(name, dataframe, [_rule_type(f) for f in fields], "_prob" in dataframe.columns,
                         None if source is None else ("number" if _rule_type(source) == "number" else "symbol"))
        self.columns = [f.name for f in fields]

    @property
    def frame(self) -> Any:
        raise EvaluationError(f"relation {self.name} is a Spark DataFrame: evaluate with engine='spark'")

    def __len__(self) -> int:
        return int(self.data.count())

    def __repr__(self) -> str:
        return f"SparkRelation({self.name!r}, {self.types})"


def spark_facts(sources: Mapping[str, "DataFrame | str"], session: "SparkSession | None" = None) -> dict[str, SparkRelation]:
    """Facts for the Spark engine from Spark DataFrames or Parquet paths (files or folders), read in place.

    Parameters
    ----------
    sources : mapping
        Relation -> DataFrame, or a path (``str``) that Spark reads as Parquet
        (local, ``hdfs://``, ``s3a://``...).
    session : SparkSession, optional
        Default: the active session.
    """
    out = {}
    for rel, source in sources.items():
        if isinstance(source, str):
            spark = _session(session)
            try:
                source = spark.read.parquet(source)
            except Exception as err:
                raise EvaluationError(f"relation {rel}: cannot read Parquet {source!r}: {err}") from err
        out[rel] = SparkRelation(rel, source)
    return out


class _SparkTables:
    """The :class:`~neurosym.logic._sqlengine.SQLBackend` of Spark: temporary views over checkpointed DataFrames."""

    dialect = "spark"

    def __init__(self, spark: "SparkSession", plan: Plan) -> None:
        self.spark = spark
        self.plan = plan
        self.frames: dict[str, DataFrame] = {}
        self.rows: dict[str, int | None] = {}  # None: not counted (facts read in place)
        self.schemas: dict[str, pa.Schema] = {}

    def _set(self, name: str, frame: "DataFrame", rows: int | None = None, *, checkpoint: bool = True, count: bool = False) -> int:
        """Store ``frame`` as view ``name``; its rows: ``rows`` if known, counted if ``count``, else unknown (None).

        A checkpointed frame's plan is a scan of its blocks, so no plan grows
        with the rounds or strata; the checkpoint is filled by the first job
        that reads it (the count here, else the next statement's job).
        """
        if checkpoint:
            frame = frame.localCheckpoint(eager=False)
        frame.createOrReplaceTempView(name)
        self.frames[name] = frame
        self.rows[name] = frame.count() if rows is None and count else rows
        return self.rows[name] if self.rows[name] is not None else 1

    def _project(self, rel: str, frame: "DataFrame", keep_source: bool) -> "DataFrame":
        """``frame``'s rows in ``rel``'s column types (derived rows have no source)."""
        from pyspark.sql import functions as F

        schema = self.schemas[rel]
        cols = [F.col(f"c{i}").cast(_SPARK_TYPES[t]).alias(f"c{i}") for i, t in enumerate(self.plan.types[rel])]
        cols += [F.col("_h").cast("INT").alias("_h"), F.col("_r").cast("INT").alias("_r"), F.col("_p").cast("DOUBLE").alias("_p")]
        source = "BIGINT" if pa.types.is_integer(schema.field("_s").type) else "STRING"
        cols.append((F.col("_s") if keep_source else F.lit(None)).cast(source).alias("_s"))
        return frame.select(*cols)

    def _add(self, rel: str, frame: "DataFrame", rows: int | None) -> None:
        """``rel`` plus ``frame``'s rows: ``frame`` itself when ``rel`` is empty, else their union, checkpointed."""
        table = table_name(rel)
        if self.rows[table] == 0:
            self._set(table, frame, rows, checkpoint=False)
            return
        total = None if rows is None or self.rows[table] is None else self.rows[table] + rows
        self._set(table, self.frames[table].unionByName(frame).coalesce(self._partitions()), total)

    def create(self, rel: str, schema: pa.Schema) -> None:
        self.schemas[rel] = schema
        self._set(table_name(rel), self.spark.createDataFrame(schema.empty_table()), 0, checkpoint=False)

    def load(self, rel: str, data: InputRelation, dedup: bool) -> None:
        from pyspark.sql import functions as F

        if isinstance(data, SparkRelation):
            frame = data.data.select(*[F.col(c).alias(f"c{i}") for i, c in enumerate(data.columns)],
                                     F.lit(0).alias("_h"), F.lit(-1).alias("_r"),
                                     (F.col("_prob") if data.has_prob else F.lit(1.0)).alias("_p"),
                                     (F.col("_source") if data.source_type else F.lit(None)).alias("_s"))
            rows = None
        else:
            table = input_table(self.plan, rel, data)
            frame, rows = self.spark.createDataFrame(table), table.num_rows
        frame = self._project(rel, frame, keep_source=True)
        if dedup:
            args = [f"c{i}" for i in range(len(self.plan.types[rel]))]
            aggs = [F.lit(0).alias("_h"), F.lit(-1).alias("_r"), F.max("_p").alias("_p"), F.min("_s").alias("_s")]
            frame = frame.groupBy(*args).agg(*aggs) if args else frame.agg(*aggs).where(F.col("_p").isNotNull())
            frame = self._project(rel, frame, keep_source=True).localCheckpoint(eager=False)
            rows = None
        self._add(rel, frame, rows)

    def materialize(self, name: str, sql: str, count: bool = True) -> int:
        return self._set(name, self.spark.sql(sql), count=count)

    def append(self, rel: str, name: str) -> None:
        self._add(rel, self._project(rel, self.frames[name], keep_source=False), self.rows[name])

    def replace(self, rel: str, name: str) -> None:
        table = table_name(rel)
        args = [f"c{i}" for i in range(len(self.plan.types[rel]))]
        added = self._project(rel, self.frames[name], keep_source=False)
        kept = self.frames[table].join(added.select(*args), on=args, how="left_anti") if args else self.frames[table].limit(0)
        self._set(table, kept.unionByName(added).coalesce(self._partitions()))

    def overwrite(self, rel: str, name: str) -> None:
        self._set(table_name(rel), self._project(rel, self.frames[name], keep_source=True), self.rows[name], checkpoint=False)

    def drop(self, name: str) -> None:
        if self.frames.pop(name, None) is not None:
            self.rows.pop(name, None)
            self.spark.catalog.dropTempView(name)

    def _partitions(self) -> int:
        return max(1, self.spark.sparkContext.defaultParallelism)

    def result(self, plan: Plan, schemas: Mapping[str, pa.Schema]) -> ResultStore:
        tables = {}
        for rel, schema in schemas.items():
            table = self.frames[table_name(rel)].toArrow()
            tables[rel] = table.select(schema.names).cast(schema)
        return ResultStore(tables, plan.types)


class SparkEngine:
    """Evaluates a plan on Spark SQL; registered as ``"spark"``.

    Parameters
    ----------
    session : SparkSession, optional
        The session (and so the cluster, ``spark.master``) to run on; default
        the active session, else a new local one.
    """

    name = "spark"

    def __init__(self, session: "SparkSession | None" = None) -> None:
        self.session = session

    def run(self, plan: Plan, inputs: Mapping[str, InputRelation], limits: Limits = Limits()) -> ResultStore:
        """Evaluate ``plan`` on the session's cluster and collect every relation into a result store."""
        from pyspark.errors import PySparkException
        from py4j.protocol import Py4JError

        spark = _session(self.session)
        backend = _SparkTables(spark, plan)
        context = spark.sparkContext
        group = f"neurosym-{uuid.uuid4().hex}"
        context.setJobGroup(group, "neurosym rule evaluation", interruptOnCancel=True)
        timer = threading.Timer(limits.timeout, context.cancelJobGroup, args=(group,)) if limits.timeout is not None else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            schemas = SQLDriver(backend).run(plan, inputs, limits)
            return backend.result(plan, schemas)
        except (PySparkException, Py4JError) as err:
            if timer is not None and not timer.is_alive():
                raise EvaluationError(f"evaluation exceeded the time-out of {limits.timeout} s") from err
            raise EvaluationError(f"evaluation failed in Spark: {str(err).splitlines()[0] if str(err) else type(err).__name__}") from err
        finally:
            if timer is not None:
                timer.cancel()
            for name in list(backend.frames):
                backend.drop(name)
