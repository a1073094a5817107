// Part of the gloo declaration shim (native/distributed/gloo_shim/README.md): the libtorch pip wheel
// ships torch/csrc/distributed/c10d/ProcessGroupGloo.hpp but not the gloo headers it includes.
#pragma once
