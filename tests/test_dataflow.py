"""The Dataflow job is built offline (--dry_run=True --no_auth): a broken graph, an unpicklable DoFn or a
package that would not carry its data to workers is caught without a cloud account or network."""
import os
import socket
import tarfile

import pytest

from pipeline import runner
from pipeline.cli import EXIT_OK, EXIT_USAGE, main, unknown_beam_args
from pipeline.config import load_config
from tests.conftest import REPO

DATAFLOW_YAML = os.path.join(REPO, "configs", "dataflow.yaml")
JOB_ARGS = ["--project=newsclean-test", "--region=europe-west1",
            "--temp_location=gs://newsclean-test-bucket/tmp", "--dry_run=True", "--no_auth"]
REMOTE_IO = {"input": {"paths": ["gs://newsclean-test-bucket/news/"]},
             "output": {"dir": "gs://newsclean-test-bucket/out"}}


@pytest.fixture
def offline(monkeypatch):
    """No network at all: any connection attempt fails at once (instead of retrying for minutes)."""
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # google-auth: do not probe the GCE metadata server

    def refuse(*_args, **_kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_dataflow_example_config_loads_and_names_only_known_beam_options():
    config = load_config(DATAFLOW_YAML)
    assert config.runner.name == "DataflowRunner"
    flags = " ".join(config.runner.beam_options)
    for option in ("--machine_type", "--max_num_workers", "--disk_size_gb", "--autoscaling_algorithm"):
        assert option in flags
    assert unknown_beam_args(config.runner.beam_options) == []
    options = runner.make_options(config, []).get_all_options()
    assert options["machine_type"] == "n2-standard-4" and options["max_num_workers"] == 20
    # the command line wins over the config's options
    assert runner.make_options(config, ["--max_num_workers=3"]).get_all_options()["max_num_workers"] == 3


def test_full_dataflow_job_builds_offline_with_the_package_shipped(offline):
    config = load_config(DATAFLOW_YAML, [REMOTE_IO])
    built = runner.run(config, JOB_ARGS, input_bytes=0)
    assert built["dry_run"] and built["job"] is not None
    names = set(built["transforms"])
    # every stage of the local graph is in the job: reading, HTML, cleaning, corpus passes, dedup, sinks
    for step in ("ExpandInputs", "Read", "SpreadPages", "ExtractHtml", "Clean", "CorpusRepeats", "Finish",
                 "Dedup", "Dedup/GroupBands", "Dedup/Clusters", "WriteClean", "WriteRejects", "WriteAudit",
                 "WriteDuplicates", "WriteBitext"):
        assert step in names, step
    # live progress is a local feature: no step writes to a launcher-local folder on workers
    assert not [n for n in names if n.startswith("Progress")]

    # the workers' environment installs this project: setup.py's sdist is staged with the job,
    # and it carries the data the steps read at run time (phrase packs) and the suites
    job_proto = built["job"].proto_pipeline
    artifacts = [dep for env in job_proto.components.environments.values() for dep in env.dependencies]
    staged = [a for a in artifacts if b"workflow.tar.gz" in a.role_payload]
    assert staged, "setup.py package not staged"
    from apache_beam.portability.api import beam_runner_api_pb2

    local = beam_runner_api_pb2.ArtifactFilePayload.FromString(staged[0].type_payload).path
    with tarfile.open(local) as tar:
        members = tar.getnames()
    assert any(m.endswith("pipeline/steps/chrome.py") for m in members)
    assert any("pipeline/data/lexicons/" in m and m.endswith(".yaml") for m in members)
    assert any(m.endswith("expectations/clean.json") for m in members)


def test_cli_dry_run_touches_no_storage_and_says_so(offline, capsys):
    code = main(["run", "--config", DATAFLOW_YAML, "--input", "gs://newsclean-test-bucket/news/",
                 "--output", "gs://newsclean-test-bucket/out"] + JOB_ARGS)
    assert code == EXIT_OK
    said = capsys.readouterr().out
    assert "dry run" in said and "not submitted" in said and "not listed" in said


def test_unknown_option_in_config_beam_options_is_a_usage_error(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("runner:\n  name: DataflowRunner\n  beam_options: ['--machine_typo=n2-standard-4']\n")
    assert main(["run", "--config", str(path), "--dry_run=True"]) == EXIT_USAGE
    assert "--machine_typo" in capsys.readouterr().err
