"""English messages. Keys and fields must match ``zh.py`` (a test checks)."""

CATALOGUE = {
    "_common": {
        "heading": "autograd_explain",
        "culprit": "Culprit",
        "blamed_line": "Line to change",
        "raised_at": "Raised at",
        "facts": "Live facts",
        "fix": "Fix",
        "why": "What happened",
        "avoid": "Do not",
        "unavailable": "autograd_explain: the explanation is unavailable ({error}).",
        "warn_requires_grad": "Do not set `{target}.requires_grad = True` or re-wrap it with `torch.tensor(...)`: "
                              "backward() then runs, but no gradient reaches your parameters and the model learns nothing.",
        "warn_retain_graph": "Do not add `retain_graph=True` everywhere: it only hides this error, keeps every "
                             "step's graph alive (memory grows each iteration) and can double-count gradients.",
        "saved_clause": " (`{saved_by}`, {saved_where})",
        "warn_detach_item": "Do not call `.detach().item()` and then `backward()`: a Python number has no `backward()`.",
    },
    "no-grad-fn": {
        "title": "`{target}` has no graph: gradient tracking was lost at `{var}`",
        "explanation": "`backward()` needs a tensor that carries an autograd graph back to your parameters. "
                       "`{target}` carries none: the graph was cut at `{var}` ({where}).",
        "fix": "# keep {var} connected to the graph\n{line}",
        "warnings": ["warn_requires_grad"],
        "causes": {
            "no_grad": {
                "explanation": "`{var}` was computed inside `torch.no_grad()` ({where}: `{line}`), so it records no "
                               "graph even though `{upstream}` requires grad. Everything computed from `{var}`, "
                               "including `{target}`, has no `grad_fn`.",
                "fix": "# compute {var} outside the no_grad block (keep no_grad for evaluation only)\n{line}",
            },
            "inference_mode": {
                "explanation": "`{var}` was computed under `torch.inference_mode()` ({where}: `{line}`): inference "
                               "tensors never record a graph, so `{target}` cannot be differentiated.",
                "fix": "# run the training forward pass outside inference_mode\n{line}",
            },
            "grad_disabled": {
                "explanation": "Gradient tracking was switched off (`torch.set_grad_enabled(False)`) when `{var}` "
                               "was computed ({where}: `{line}`), so it has no `grad_fn`.",
                "fix": "torch.set_grad_enabled(True)  # or scope it: with torch.set_grad_enabled(is_training):\n{line}",
            },
            "detach": {
                "explanation": "`{var}` was made with `{op}` ({where}: `{line}`), which returns a tensor cut from "
                               "the graph of `{upstream}`. Nothing after it can send gradients back.",
                "fix": "# drop .detach() on the training path (detach only for logging/metrics)\n{line}",
            },
            "data_attribute": {
                "explanation": "`{var}` reads `.data` ({where}: `{line}`): `.data` is the raw tensor without its "
                               "graph, so `{upstream}`'s history is dropped.",
                "fix": "# use the tensor itself, not .data\n{line}",
            },
            "item": {
                "explanation": "`{var}` went through a Python number ({op}, {where}: `{line}`). A Python number "
                               "has no graph; turning it back into a tensor makes a new leaf with no history.",
                "fix": "# keep the value as a tensor: no .item()/float() on the training path\n{line}",
            },
            "numpy_roundtrip": {
                "explanation": "`{var}` went through NumPy ({op}, {where}: `{line}`). NumPy arrays have no graph; "
                               "the tensor made back from them is a new leaf with no history.",
                "fix": "# compute it with torch operations instead of NumPy\n{line}",
            },
            "tensor_rewrap": {
                "explanation": "`{var}` was built with `{op}` ({where}: `{line}`), which copies the values of "
                               "`{upstream}` into a new tensor without its graph.",
                "fix": "# use the tensor directly (or torch.stack / torch.cat for several tensors)\n{line}",
            },
            "non_differentiable_op": {
                "explanation": "`{var}` comes from `{op}` ({where}: `{line}`), an operation with no gradient "
                               "(it returns indices, booleans or integers). `{upstream}` still required grad, "
                               "`{var}` does not.",
                "fix": "# feed the loss the differentiable values (e.g. logits), not {op}\n"
                       "# use {op} only for metrics such as accuracy\n{line}",
            },
            "frozen_parameters": {
                "explanation": "Every parameter of `{var}` has `requires_grad=False` ({trainable} of {total} "
                               "trainable), frozen at {where}: `{line}`. The output of `{var}` therefore needs no "
                               "gradient and `{target}` has no `grad_fn`.",
                "fix": "for p in {var}.parameters():\n    p.requires_grad_(True)  # unfreeze what you want to train",
            },
            "inputs_without_grad": {
                "title": "Nothing that `{target}` was computed from requires grad",
                "explanation": "`{target}` was computed only from tensors that do not require grad (`{leaves}`, "
                               "made at {where}). Autograd records a graph only from tensors with "
                               "`requires_grad=True` (or module parameters).",
                "fix": "# make the tensor you want gradients for a leaf that requires grad\n"
                       "{var} = {var}.requires_grad_()  # or create it with requires_grad=True",
            },
            "unknown": {
                "title": "`{target}` has no graph to differentiate",
                "explanation": "`{target}` has `requires_grad=False` and no `grad_fn`, but the code does not show "
                               "where its graph was lost. Check every step from your model's output to "
                               "`{target}` for `.detach()`, `.item()`, `.numpy()`, `torch.tensor(...)`, "
                               "`argmax`/comparisons, and `no_grad`/`inference_mode` blocks.",
                "fix": "print({target}.requires_grad, {target}.grad_fn)  # walk back until requires_grad is True",
            },
        },
    },
    "python-number": {
        "title": "`{var}` is a Python {type}, not a tensor: it has no backward()",
        "explanation": "`{var}` became a plain Python value at {where} (`{line}`, via `{op}`). A Python number "
                       "has no graph, so there is nothing to call `backward()` on.",
        "fix": "# keep the tensor for backward(); take .item() only for printing\nloss.backward()\nprint(loss.item())",
        "warnings": ["warn_detach_item"],
        "causes": {
            "item": {"explanation": "`{var}` was made with `.item()` ({where}: `{line}`), which returns a Python "
                                    "number with no graph. `{upstream}` is the tensor you can call backward() on."},
            "tolist": {"explanation": "`{var}` was made with `.tolist()` ({where}: `{line}`), which returns Python "
                                      "numbers with no graph."},
            "numpy": {"explanation": "`{var}` is a NumPy value made at {where} (`{line}`): NumPy has no autograd."},
            "python_math": {"explanation": "`{var}` was computed with Python math (`{op}`, {where}: `{line}`), which "
                                           "turns tensors into Python numbers with no graph. Use the torch "
                                           "equivalent (`torch.exp`, `.sum()`, ...)."},
            "unknown": {"explanation": "`{target}` is a Python `{type}`, not a tensor; only tensors have "
                                       "`backward()`."},
        },
    },
    "inplace-modified": {
        "title": "`{var}` was modified in place after `{op}` saved it for backward",
        "explanation": "`{op}` saved `{var}` for the backward pass when `{var}` was at version {expected}"
                       "{saved_clause}. Then {where} (`{line}`) changed it in place, making it version {version}. "
                       "Backward needs the old values, so it refuses to run.",
        "fix": "# write out of place instead of modifying {var}\n{outofplace}",
        "warnings": ["warn_retain_graph"],
        "causes": {
            "optimizer_step": {
                "title": "`{var}.step()` updated parameters that a graph still needed",
                "explanation": "`{var}.step()` ({where}) changes its parameters in place (a parameter of shape "
                               "{shape} went from version {expected} to {version}). A graph built before the "
                               "step, which saved that parameter (in `{op}`), was then used for backward.",
                "fix": "# finish every backward() that uses the old graph before {var}.step(),\n"
                       "# or recompute the forward pass after the step:\n"
                       "loss_a.backward(retain_graph=True)\nloss_b.backward()\n{var}.step()",
            },
            "inplace_module": {
                "title": "`{var}` (inplace=True) overwrote a tensor autograd saved",
                "explanation": "`{var}` is built with `inplace=True` ({where}: `{line}`): it overwrites its input. "
                               "That input was saved by `{op}` for backward (version {expected}, now {version}).",
                "fix": "# build it out of place\n{outofplace}",
            },
            "unknown": {
                "title": "A tensor autograd saved was modified in place",
                "explanation": "A tensor of shape {shape} saved by `{node}` for backward is at version {version}; "
                               "backward expected version {expected}. The write is not in your code as far as "
                               "the source shows (it may be inside a library or a module's forward). Turn on "
                               "`%autograd_explain trace on` and re-run to record the exact line.",
                "fix": "# replace in-place ops (x += ..., x.add_(...), x[...] = ..., inplace=True) on that tensor",
            },
        },
    },
    "non-scalar-backward": {
        "title": "`{var}` has shape {shape}: backward() needs a scalar",
        "explanation": "`{var}` holds {numel} values (shape {shape}, made at {where}: `{line}`). "
                       "`backward()` without arguments only works on a single number, such as a loss.",
        "fix": "{var}.mean().backward()   # average: gradients do not grow with batch size\n"
               "# or {var}.sum().backward()  # sum: gradients scale with the number of elements\n"
               "# or {var}.backward(gradient=torch.ones_like({var}))  # a vector-Jacobian product",
        "warnings": [],
        "causes": {
            "reduction_none": {
                "explanation": "`{var}` (shape {shape}) comes from a loss built with `reduction=\"none\"` "
                               "(`{built}`), which returns one loss per element instead of their mean. "
                               "It was made at {where}: `{line}`.",
                "fix": "{var}.mean().backward()   # what reduction=\"mean\" would have done\n"
                       "# or weight the per-element losses first: ({var} * weights).sum().backward()",
            },
            "complex_output": {
                "title": "`{var}` is complex: backward() needs a real scalar",
                "explanation": "`{var}` has dtype {dtype} (shape {shape}, made at {where}). Gradients are only "
                               "implicitly created for a real scalar.",
                "fix": "{var}.abs().sum().backward()  # or .real / .imag, reduced to a real scalar",
            },
        },
    },
    "backward-twice": {
        "title": "`{var}`: backward through a graph whose buffers were already freed",
        "explanation": "A first `backward()` freed the saved values of this graph; a second one needs them again.",
        "fix": "# recompute the forward pass before each backward()",
        "warnings": ["warn_retain_graph"],
        "causes": {
            "second_backward": {
                "title": "backward() ran twice over the graph of `{var}`",
                "explanation": "`{var}.backward()` already ran ({where}: `{line}`) and freed the graph's saved "
                               "values. Running it again (a re-run cell, a second call) needs the forward "
                               "pass again.",
                "fix": "# recompute {var} (re-run the forward cell) before calling backward() again\n"
                       "# only if you really need two backward passes over one graph:\n"
                       "# {var}.backward(retain_graph=True)  # on the first call",
            },
            "state_carried_across_iterations": {
                "title": "`{var}` carries the graph of earlier iterations",
                "explanation": "`{var}` is re-computed from itself in the loop ({where}: `{line}`) and never "
                               "detached, so each iteration's graph is chained to the previous one, whose "
                               "buffers the previous `backward()` already freed.",
                "fix": "{var} = {var}.detach()  # at the start of each iteration (truncated backprop)\n{line}",
            },
            "shared_subgraph": {
                "title": "`{first_loss}` and `{second_loss}` share `{var}`, freed by the first backward()",
                "explanation": "`{first_loss}` was built from `{var}` ({where}: `{line}`) and its backward() "
                               "freed the graph of `{var}`. `{second_loss}` also goes through `{var}`.",
                "fix": "# in the first loss use a detached copy (as for a GAN's discriminator step):\n"
                       "{detached_line}",
            },
        },
    },
    "leaf-inplace": {
        "title": "In-place write to a leaf that requires grad",
        "explanation": "`{var}` is a leaf tensor with `requires_grad=True`; writing into it in place ({where}: "
                       "`{line}`) would corrupt its gradient.",
        "fix": "with torch.no_grad():\n    {line}",
        "warnings": [],
        "causes": {},
    },
    "view-inplace": {
        "title": "In-place write to a view autograd cannot track",
        "explanation": "`{var}` is a view whose in-place modification autograd cannot record ({where}: `{line}`).",
        "fix": "{var} = {var}.clone()  # then modify the copy",
        "warnings": [],
        "causes": {},
    },
    "requires-grad-nonleaf": {
        "title": "requires_grad can only be set on leaf tensors",
        "explanation": "`{var}` is the result of an operation (it has a `grad_fn`); its `requires_grad` is set "
                       "by autograd ({where}: `{line}`).",
        "fix": "{var} = {var}.detach().requires_grad_()  # a new leaf, if that is what you want",
        "warnings": [],
        "causes": {},
    },
    "dtype-no-grad": {
        "title": "Only floating point and complex tensors can require gradients",
        "explanation": "`{var}` has an integer or bool dtype ({where}: `{line}`).",
        "fix": "{var} = {var}.float().requires_grad_()",
        "warnings": [],
        "causes": {},
    },
    "inference-tensor": {
        "title": "An inference tensor was used where autograd needs a normal one",
        "explanation": "`{var}` was created under `torch.inference_mode()` and cannot be saved for backward "
                       "or modified in place outside it ({where}: `{line}`).",
        "fix": "{var} = {var}.clone()  # outside inference_mode, a normal tensor",
        "warnings": [],
        "causes": {},
    },
    "numpy-requires-grad": {
        "title": "numpy() on a tensor that requires grad",
        "explanation": "`{var}` requires grad; `.numpy()` would silently drop its graph ({where}: `{line}`).",
        "fix": "{var}.detach().cpu().numpy()",
        "warnings": [],
        "causes": {},
    },
    "unused-input": {
        "title": "A differentiated tensor was not used to compute the output",
        "explanation": "`{var}` is not in the graph of the outputs ({where}: `{line}`).",
        "fix": "torch.autograd.grad(outputs, inputs, allow_unused=True)  # if that is expected",
        "warnings": [],
        "causes": {},
    },
    "grad-shape-mismatch": {
        "title": "The gradient passed to backward() has the wrong shape",
        "explanation": "The `gradient=` argument must have the shape of `{var}` ({where}: `{line}`).",
        "fix": "{var}.backward(gradient=torch.ones_like({var}))",
        "warnings": [],
        "causes": {},
    },
    "nan-in-backward": {
        "title": "A backward function returned nan",
        "explanation": "Anomaly mode found nan values in a gradient ({where}: `{line}`).",
        "fix": "# guard the op: clamp inputs of log/sqrt/division away from 0",
        "warnings": [],
        "causes": {},
    },
    "no-grad-input": {
        "title": "torch.autograd.grad was asked for the gradient of a tensor that does not require grad",
        "explanation": "`{var}` does not require grad ({where}: `{line}`).",
        "fix": "{var}.requires_grad_()  # before computing the outputs from it",
        "warnings": [],
        "causes": {},
    },
}
