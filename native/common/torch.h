// The libtorch headers the core uses, in one place (also the precompiled header).
// Including <torch/torch.h> costs ~15 s per translation unit on 2 cores; ATen plus the
// autograd entry points is all the core needs.
#pragma once

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#if defined(__GLIBCXX__) && !_GLIBCXX_USE_CXX11_ABI
#error "albert-trainer must be built with _GLIBCXX_USE_CXX11_ABI=1, as the libtorch pip wheels are"
#endif
