"""The tierstack component provider: Pulumi runs this to serve the package to other languages.

The schema comes from the package components' annotations (tierstack.package); `tierstack package
schema` prints the same document without the Pulumi CLI.
"""

from pulumi.provider.experimental import component_provider_host

from tierstack import __version__
from tierstack.package import COMPONENTS, PACKAGE

if __name__ == "__main__":
    component_provider_host(components=list(COMPONENTS), name=PACKAGE, version=__version__)
