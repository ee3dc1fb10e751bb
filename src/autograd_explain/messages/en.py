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
        "location": "{cell}, line {lineno}",
        "saved_clause": " (`{saved_by}`, {saved_where})",
        "warn_detach_item": "Do not call `.detach().item()` and then `backward()`: a Python number has no `backward()`.",
        "warn_data_bypass": "Do not reach for `.data` to silence this: `{var}.data -= ...` skips autograd's checks "
                            "and hides real mistakes; `torch.no_grad()` says what you mean.",
        "warn_anomaly_cost": "Do not leave anomaly mode on once the nan is found: it makes every training step "
                             "about twice as slow.",
    },
    "no-grad-fn": {
        "title": "`{target}` has no graph: gradient tracking was lost at `{var}`",
        "explanation": "`backward()` needs a tensor that carries an autograd graph back to your parameters. "
                       "`{target}` carries none: the graph was cut at `{var}` ({where}).",
        "fix": "# keep {var} connected to the graph\n{fixed}",
        "warnings": ["warn_requires_grad"],
        "variants": {
            "no_grad/caller": {
                "title": "`{target}` has no graph: the function computing it was called inside `torch.{op}()`",
                "explanation": "`{var}` was computed in a function called under `{op}` ({where}: `{line}`). Everything that call computes records no graph, so `backward()` inside it has nothing to differentiate.",
                "fix": "# call it outside the {op} block, or skip backward() when only evaluating\n{line}",
            },
            "inference_mode/caller": {
                "title": "`{target}` has no graph: the function computing it was called inside `torch.{op}()`",
                "explanation": "`{var}` was computed in a function called under `{op}` ({where}: `{line}`). Everything that call computes records no graph, so `backward()` inside it has nothing to differentiate.",
                "fix": "# call it outside the {op} block, or skip backward() when only evaluating\n{line}",
            },
            "grad_disabled/caller": {
                "title": "`{target}` has no graph: the function computing it was called inside `torch.{op}()`",
                "explanation": "`{var}` was computed in a function called under `{op}` ({where}: `{line}`). Everything that call computes records no graph, so `backward()` inside it has nothing to differentiate.",
                "fix": "# call it outside the {op} block, or skip backward() when only evaluating\n{line}",
            },
        },
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
                "fix": "# drop .detach() on the training path (detach only for logging/metrics)\n{fixed}",
            },
            "data_attribute": {
                "explanation": "`{var}` reads `.data` ({where}: `{line}`): `.data` is the raw tensor without its "
                               "graph, so `{upstream}`'s history is dropped.",
                "fix": "# use the tensor itself, not .data\n{fixed}",
            },
            "item": {
                "explanation": "`{var}` went through a Python number ({op}, {where}: `{line}`). A Python number "
                               "has no graph; turning it back into a tensor makes a new leaf with no history.",
                "fix": "# keep the value as a tensor: no .item()/float() on the training path\n{fixed}",
            },
            "numpy_roundtrip": {
                "explanation": "`{var}` went through NumPy ({op}, {where}: `{line}`). NumPy arrays have no graph; "
                               "the tensor made back from them is a new leaf with no history.",
                "fix": "# compute it with torch operations instead of NumPy\n{fixed}",
            },
            "tensor_rewrap": {
                "explanation": "`{var}` was built with `{op}` ({where}: `{line}`), which copies the values of "
                               "`{upstream}` into a new tensor without its graph.",
                "fix": "# use the tensor directly (or torch.stack / torch.cat for several tensors)\n{fixed}",
            },
            "non_differentiable_op": {
                "explanation": "`{var}` comes from `{op}` ({where}: `{line}`), an operation with no gradient "
                               "(it returns indices, booleans or integers). `{upstream}` still required grad, "
                               "`{var}` does not.",
                "fix": "# feed the loss the differentiable values (e.g. logits), not {op}\n"
                       "# use {op} only for metrics such as accuracy\n{fixed}",
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
                "fix": "# make the tensor you want gradients for a leaf that requires grad\n{fixed}",
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
        "fix": "# keep the tensor for backward(); take .item() only for printing\n{fixed}\n{var}.backward()\nprint({var}.item())",
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
        "variants": {
            "unreduced_output/autograd_grad": {
                "title": "`{var}` has shape {shape}: torch.autograd.grad needs a scalar or grad_outputs",
                "explanation": "`{var}` holds {numel} values (shape {shape}, made at {where}: `{line}`). "
                               "`torch.autograd.grad` without `grad_outputs` only works on a single number.",
                "fix": "torch.autograd.grad({var}, {inputs}, grad_outputs=torch.ones_like({var}))  # one gradient per element\n"
                       "# or differentiate a scalar: torch.autograd.grad({var}.sum(), {inputs})",
            },
            "unreduced_output/part": {
                "title": "`{target}` has shape {shape}: `{var}` in it was never reduced",
                "explanation": "`{target}` holds {numel} values (shape {shape}), but everything else in it is a "
                               "scalar: its shape comes from `{var}` (shape {part_shape}, made at {where}: "
                               "`{line}`), which broadcasting spreads over the whole result where it joins "
                               "({joined_where}: `{joined}`). Autograd creates the starting gradient implicitly "
                               "only for a single number, such as a loss.",
                "fix": "{reduced_line}   # reduce {var} to a scalar where it is made (or .sum())\n"
                       "# or reduce the whole: {whole_fix}",
            },
            "reduction_none/part": {
                "title": "`{target}` has shape {shape}: `{var}` in it is a per-element loss",
                "explanation": "`{target}` holds {numel} values (shape {shape}), but everything else in it is a "
                               "scalar: its shape comes from `{var}` (shape {part_shape}), a loss built with "
                               "`reduction=\"none\"` (`{built}`), which returns one loss per element instead of "
                               "their mean. `{var}` was made at {where}: `{line}`, and broadcasting spreads it over "
                               "the whole result where it joins ({joined_where}: `{joined}`).",
                "fix": "{reduced_line}   # what reduction=\"mean\" would have done\n"
                       "# or reduce the whole: {whole_fix}",
            },
        },
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
        "variants": {
            "state_carried_across_iterations/stored_attribute": {
                "title": "`{var}` keeps the graph of an earlier step",
                "explanation": "`{line}` ({where}) stores a tensor in `{var}` without detaching it, so `{var}` "
                               "keeps that step's graph. The next step builds `{target}` from `{var}`, and its "
                               "`backward()` reaches the old graph, which the earlier step's `backward()` freed.",
                "fix": "# store it without its graph (or do the update under torch.no_grad()):\n{detached_store}",
            },
            "state_carried_across_iterations/across_calls": {
                "title": "`{var}` carries the graph of the previous call of `{function}`",
                "explanation": "`{function}` re-binds the global `{var}` from itself ({where}: `{line}`) and never "
                               "detaches it, so each call starts from the `{var}` the previous call left, graph and "
                               "all. The previous call's `backward()` already freed that graph; `{target}` still "
                               "goes through it.",
                "fix": "{var} = {var}.detach()  # at the start of {function}, before it is used\n{line}",
            },
            "state_carried_across_iterations/rerun": {
                "title": "`{var}` carries the graph of the previous run",
                "explanation": "`{line}` ({where}) re-computes `{var}` from itself, and it ran again (a re-run "
                               "cell, or a copy of it) on the `{var}` the previous run left, graph and all. That "
                               "run's `backward()` already freed the graph; `{target}` still goes through it.",
                "fix": "{var} = {var}.detach()  # before re-running\n{line}",
            },
            "shared_subgraph/detach_in_second": {
                "title": "`{second_loss}` goes through `{var}`, whose graph `{first_loss}.backward()` already freed",
                "explanation": "`{first}` ({first_where}) freed the graph that made `{var}`. `{second_loss}` reads "
                               "`{var}` again ({where}: `{line}`) and needs that graph. The optimizer stepped after "
                               "`{second_loss}` does not train what made `{var}`, so no gradient has to flow there.",
                "fix": "{detached_line}",
            },
            "state_carried_across_iterations/kept_list": {
                "title": "`{var}` keeps tensors of earlier steps, graph and all",
                "explanation": "`{line}` ({where}) adds a tensor to `{var}` each step, and nothing empties `{var}` "
                               "after `backward()`. `{target}` is built from everything in it, including tensors "
                               "whose graphs an earlier `backward()` already freed.",
                "fix": "# empty it once the step's backward() is done:\ndel {var}[:]  # or {var}.clear()\n"
                       "# (to keep values for logging, store detached copies: .detach() or .item())",
            },
            "shared_subgraph/across_iterations": {
                "title": "Every iteration reuses the graph of `{var}`, freed by the first backward()",
                "explanation": "`{var}` was computed once, before the loop ({where}: `{line}`), and each "
                               "iteration's `{target}` is built from it. The first iteration's `backward()` "
                               "freed the saved values of that part of the graph; the next iteration needs them.",
                "fix": "# compute {var} inside the loop, so that each iteration has its own graph\n"
                       "# (or use {var}.detach() if it needs no gradient)\n{line}",
            },
            "state_carried_across_iterations/running_total": {
                "title": "`{var}` keeps graphs that `{added}.backward()` already freed",
                "explanation": "`{var}` accumulates each step's `{added}` as a tensor ({where}: `{line}`), so it "
                               "keeps the graph of every step. Each step's `{added}.backward()` freed that step's "
                               "graph, and `{target_backward}` has to go through all of them again.",
                "fix": "# accumulate a number (or {added}.detach() to keep a tensor): no graph outlives its step\n"
                       "{fixed_line}\n"
                       "# each step's {added}.backward() already computed the gradients; to train on the total\n"
                       "# instead, remove it from the loop and call {target_backward} once, after the loop",
            },
            "state_carried_across_iterations/carried_read": {
                "title": "`{carried}` still holds the graph of an earlier step",
                "explanation": "`{line}` ({where}) reads `{carried}` as the previous step (loop iteration or run "
                               "of the cell) left it (`{stored_line}`, {stored_where}), graph and all. Each step's "
                               "graph is chained to the previous one, whose buffers the previous `backward()` "
                               "already freed.",
                "fix": "# detach what comes from the previous step (truncated backprop)\n{fixed_line}\n"
                       "# or store a detached copy in the first place:\n# {stored_fixed}",
            },
            "shared_subgraph/first_loss": {
                "title": "`{second_loss}` is built from `{first_loss}`, whose graph was already backwarded",
                "explanation": "`{line}` ({where}) freed the saved values of the graph of `{first_loss}`. "
                               "`{second_loss}` is built from `{first_loss}`, so its `backward()` needs that "
                               "graph again.",
                "fix": "# call backward() once, on the total: remove `{line}` and keep\n"
                       "{second_loss}.backward()\n"
                       "# ({first_loss}.backward(retain_graph=True) also runs, but adds the gradient of "
                       "{first_loss} twice)",
            },
            "shared_subgraph/grad_call": {
                "title": "`torch.autograd.grad` freed the graph that `{second_loss}` goes through",
                "explanation": "`{line}` ({where}) differentiated `{first_loss}` without `create_graph=True` "
                               "(or `retain_graph=True`), which frees its graph. `{second_loss}` is built from "
                               "`{var}` (and, for a gradient penalty, from the gradient itself), so its "
                               "`backward()` needs that graph again.",
                "fix": "# keep the graph and make the gradient differentiable (a gradient penalty needs both)\n"
                       "{fixed_line}",
            },
            "shared_subgraph/recomputed": {
                "title": "Both backward() calls on `{target}` go through `{var}`, freed by the first one",
                "explanation": "`{target}` was computed anew, but from the same `{var}` (made at {made_where}: "
                               "`{made_line}`) as the `{target}` that `{first}` ({first_where}) already "
                               "backwarded. That backward freed the saved values of the graph of `{var}`; this "
                               "one needs them again.",
                "fix": "# recompute {var} before each backward() (run the line that makes it again, or move it here)\n"
                       "# or, if what made {var} needs no training, use a detached copy:\n{detached_line}",
            },
            "shared_subgraph/inside_call": {
                "title": "`{first_loss}` and `{second_loss}` share the graph computed at `{line}`",
                "explanation": "`{var}` and `{other}` come out of one computation ({where}: `{line}`), such as "
                               "a model's shared trunk. `{first_loss}.backward()` freed the saved values of that "
                               "shared part; `{second_loss}.backward()` needs them again.",
                "fix": "# one backward over both losses (the shared part gets both gradients)\n"
                       "({first_loss} + {second_loss}).backward()\n"
                       "# or keep the graph for the second one: {first_loss}.backward(retain_graph=True)",
            },
            "shared_subgraph/across_calls": {
                "title": "Every call of `{function}` reuses the graph of `{var}`, freed by the first backward()",
                "explanation": "`{var}` was computed once, outside `{function}` ({where}: `{line}`), and each call "
                               "builds `{target}` from it. The first call's `backward()` freed the saved values of "
                               "that part of the graph; the next call (an optimizer calls its closure several times, "
                               "a step function runs once per batch) needs them again.",
                "fix": "# compute {var} inside {function}, so that each call has its own graph\n"
                       "# (or use {var}.detach() if what made it needs no gradient)\n{line}",
            },
            "state_carried_across_iterations/inplace_store": {
                "title": "`{line}` writes a step's graph into `{carried}`, kept for the next step",
                "explanation": "`{line}` ({where}) writes into `{carried}` in place without detaching, so "
                               "`{carried}` takes on that step's graph (and, write after write, chains every step's "
                               "graph onto it). The next step reads it (`{read_line}`, {read_where}) after the "
                               "previous `backward()` already freed that graph.",
                "fix": "# store the values only, not the graph\n{fixed_line}\n"
                       "# (or make the write under `with torch.no_grad():`)",
            },
            "state_carried_across_iterations/snapshot": {
                "title": "`{carried}` is kept from an earlier step, graph and all",
                "explanation": "`{line}` ({where}) runs only in some steps (under a condition) and keeps that "
                               "step's tensor, graph and all. Every later step reads it (`{read_line}`, "
                               "{read_where}), but the `backward()` of the step that stored it already freed "
                               "that graph.",
                "fix": "# keep the value only (a reference value or baseline needs no gradient)\n{fixed_line}",
            },
            "state_carried_across_iterations/tuple_state": {
                "title": "`{var}` carries the graph of earlier iterations",
                "explanation": "`{var}` (a tuple of tensors, such as an LSTM's `(h, c)`) is re-computed from itself "
                               "in the loop ({where}: `{line}`) and never detached, so each iteration's graph is "
                               "chained to the previous one, whose buffers the previous `backward()` already freed.",
                "fix": "{var} = tuple(h.detach() for h in {var})  # at the start of each iteration "
                       "(truncated backprop)\n{line}",
            },
            "second_backward/alias": {
                "title": "backward() ran twice over the graph of `{var}`",
                "explanation": "`{var}` is the tensor `{alias}` that `{line}` ({where}) already backwarded, which "
                               "freed its graph's saved values. Running backward() on it again needs the forward "
                               "pass again.",
                "fix": "# {alias}.backward() already computed its gradients; to backward again, recompute it first\n"
                       "# to keep it for later inspection, store {alias}.detach() (or {alias}.item())\n"
                       "# only if you really need two backward passes: {alias}.backward(retain_graph=True) the first time",
            },
            "second_backward/in_call": {
                "title": "backward() ran twice over the graph of `{var}`",
                "explanation": "`{call_line}` ({call_where}) already ran `{line}` ({where}), which backwarded "
                               "`{var}` and freed its graph's saved values. Running backward() on it again needs "
                               "the forward pass again.",
                "fix": "# recompute {var} (call what makes it again) before calling backward() again\n"
                       "# only if you really need two backward passes over one graph: retain_graph=True in `{line}`",
            },
        },
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
                "fix": "# if {first_loss} must not train what made {var} (a GAN's discriminator step), "
                       "detach it there:\n"
                       "{detached_line}\n"
                       "# if both losses should train it: ({first_loss} + {second_loss}).backward() once,\n"
                       "# or {first_loss}.backward(retain_graph=True)",
            },
        },
    },
    "leaf-inplace": {
        "title": "In-place write to `{var}`, a leaf tensor that requires grad",
        "explanation": "`{var}` is a leaf tensor with `requires_grad=True` (created by you, not computed). "
                       "{where} (`{line}`) writes into it in place while autograd is recording; autograd refuses, "
                       "because the write would change the very tensor whose gradient it accumulates.",
        "fix": "with torch.no_grad():\n    {line}",
        "warnings": ["warn_data_bypass"],
        "causes": {
            "parameter_update": {
                "title": "`{var}` is updated in place outside `torch.no_grad()`",
                "explanation": "`{var}` is a parameter (a leaf with `requires_grad=True`). The update at {where} "
                               "(`{line}`) runs while autograd is recording, and autograd does not allow in-place "
                               "writes to such leaves. A parameter update is not part of the model: it must not "
                               "be recorded.",
                "fix": "{guarded}\n"
                       "# then clear the gradient for the next step: {var}.grad.zero_()\n"
                       "# or let an optimizer do both: opt = torch.optim.SGD(params, lr=lr); opt.step(); opt.zero_grad()",
            },
            "leaf_write": {
                "explanation": "`{var}` is a leaf tensor with `requires_grad=True`. {where} (`{line}`) writes into "
                               "it in place ({write}) while autograd is recording. Autograd cannot record a write "
                               "into a tensor whose gradient it is supposed to accumulate.",
                "fix": "# to set its values (initialisation), do not record the write:\n"
                       "with torch.no_grad():\n    {line}\n"
                       "# to compute with it, write out of place instead:\n{rewrite}\n"
                       "# to fill a result tensor, create it WITHOUT requires_grad=True (it gets a grad_fn from the writes)",
            },
            "view_of_leaf_write": {
                "title": "`{var}` is a view of `{leaf}`, a leaf that requires grad: it cannot be written in place",
                "explanation": "`{var}` shares its memory with `{leaf}`, a leaf tensor with `requires_grad=True`. "
                               "Writing into `{var}` in place ({where}: `{line}`) would write into `{leaf}` itself, "
                               "which autograd does not allow while it is recording.",
                "fix": "with torch.no_grad():\n    {line}  # if this is an update/initialisation of {leaf}\n"
                       "# or work on a copy: {var} = {var}.clone(), then modify it",
            },
            "unknown": {
                "title": "In-place write to a leaf tensor that requires grad",
                "explanation": "A leaf tensor with `requires_grad=True` (a parameter or a tensor you created "
                               "with `requires_grad=True`) is modified in place at {where} (`{line}`) while "
                               "autograd is recording.",
                "fix": "with torch.no_grad():\n    {line}\n# or write out of place: y = x + 1 instead of x += 1",
            },
        },
    },
    "view-inplace": {
        "title": "`{var}` is a view autograd cannot track an in-place write to",
        "explanation": "`{var}` is a view of `{base}`, and the in-place write at {where} (`{line}`) cannot be "
                       "recorded by autograd.",
        "fix": "{rewrite}  # out of place",
        "warnings": [],
        "causes": {
            "multi_output_view": {
                "title": "In-place write to `{var}`, which shares memory with the views `{op}` returned",
                "explanation": "`{op}` returned several views of `{base}` ({made_where}: `{made_line}`). Such views "
                               "share one backward node, so autograd cannot record an in-place write to one of "
                               "them or to their base, and {where} (`{line}`) writes into `{var}` in place.",
                "fix": "{rewrite}  # out of place: a new tensor, the views are left alone\n"
                       "# or .clone() the views when you make them, so they no longer share memory",
            },
            "view_from_no_grad": {
                "title": "`{var}` was made as a view inside `torch.no_grad()` and is modified with grad on",
                "explanation": "`{var}` is a view of `{base}` made inside `torch.no_grad()` ({made_where}: "
                               "`{made_line}`). It is modified in place with grad mode on ({where}: `{line}`): "
                               "autograd cannot tell whether that write should be recorded in `{base}`'s graph, "
                               "so it forbids it.",
                "fix": "# either keep the view and the write together inside no_grad (the write is not recorded):\n"
                       "with torch.no_grad():\n    {made_line}\n    {line}\n"
                       "# or make the view outside no_grad (the write is recorded), or modify a copy:\n"
                       "{var} = {var}.clone()\n{line}",
            },
            "custom_function_view": {
                "title": "`{var}` is a view returned by the custom Function `{node}`: it cannot be modified in place",
                "explanation": "`{var}` was returned by the custom autograd Function `{node}` as a view of its "
                               "input (or the input itself). Modifying it in place ({where}: `{line}`) would "
                               "override the Function's own backward, so autograd forbids it.",
                "fix": "{var} = {var}.clone()  # clone the Function's output before modifying it\n{line}\n"
                       "# or return x.clone() instead of a view from {node}.forward",
            },
            "unknown": {
                "title": "In-place write to a view autograd cannot track",
                "explanation": "A view is modified in place at {where} (`{line}`) in a way autograd cannot "
                               "record (a view from a multi-output function, a view made in no_grad mode, or "
                               "a view returned by a custom Function).",
                "fix": "# modify a copy instead of the view\n{var} = {var}.clone()\n{line}",
            },
        },
    },
    "requires-grad-nonleaf": {
        "title": "`{var}` is computed, not a leaf: its requires_grad cannot be changed",
        "explanation": "`{var}` is the result of an operation (`grad_fn={grad_fn}`), so autograd sets its "
                       "`requires_grad` from its inputs. Only tensors you create directly (leaves) have a flag "
                       "you can set; {where} (`{line}`) tries to change it.",
        "fix": "{var} = {var}.detach()  # a copy cut from the graph (requires_grad=False)\n"
               "# or, for a new leaf to optimise: {var} = {var}.detach().requires_grad_()\n"
               "# or set requires_grad where the leaf is created, before .to()/.cuda():\n"
               "# x = torch.randn(..., device=device, requires_grad=True)",
        "warnings": [],
        "causes": {
            "nonleaf_flag": {
                "fix": "{fixed_line}  # a new leaf, cut from the graph that computed {var}\n"
                       "# to train a tensor, set requires_grad on the leaf you create (after .to()/.cuda() and scaling):\n"
                       "# w = (torch.randn(3, 1) * 0.01).to(device).requires_grad_()",
            },
            "unknown": {
                "title": "requires_grad can only be changed on leaf tensors",
                "explanation": "The tensor whose `requires_grad` is set at {where} (`{line}`) was computed by an "
                               "operation; only leaves (tensors you create) have a flag you can change.",
                "fix": "y = y.detach()  # instead of y.requires_grad = False",
            },
        },
        "variants": {
            "nonleaf_flag/part_of_leaf": {
                "title": "`{part}` is part of `{var}`, not a leaf: part of a tensor cannot be frozen",
                "explanation": "`{var}` is a leaf that requires grad (shape {shape}); `{part}` is a slice or "
                               "view computed from it, so it has no `requires_grad` flag of its own ({where}: "
                               "`{line}`). The flag belongs to the whole tensor: `{var}` stays trainable, and "
                               "writing into a part of it would be an in-place write to a leaf, itself an error. "
                               "To keep some entries fixed, zero their gradient instead.",
                "fix": "# keep {part} fixed: zero its gradient on the way into {var}.grad\n"
                       "mask = torch.ones_like({var})\n"
                       "{mask_target} = 0\n"
                       "{var}.register_hook(lambda grad: grad * mask)\n"
                       "# or, after loss.backward() and before optimizer.step():\n"
                       "# {grad_target} = 0\n"
                       "# (momentum or weight decay can still move those entries: then use an optimizer without "
                       "them for {var}, or keep the part in a separate tensor that does not require grad)",
            },
            "nonleaf_flag/view_of_leaf": {
                "title": "`{part}` is a view of `{var}`, not a leaf: set the flag on `{var}` itself",
                "explanation": "`{part}` is computed from `{var}`, a leaf that requires grad, so it has no "
                               "`requires_grad` flag of its own ({where}: `{line}`). It covers all of `{var}`: "
                               "freeze `{var}` itself.",
                "fix": "{var}.requires_grad_(False)  # freezes {var} (and every view of it)",
            },
            "nonleaf_flag/part_of_leaf_true": {
                "title": "`{part}` is computed from `{var}`, which already requires grad",
                "explanation": "`{var}` is a leaf that requires grad (shape {shape}); `{part}` is computed from it, "
                               "so it already requires grad and has no flag of its own to set ({where}: "
                               "`{line}`). Its gradient flows into `{var}.grad`.",
                "fix": "# delete this line: {part} already gets gradients through {var}\n"
                       "# after loss.backward(), the gradient of this part is {grad_target}",
            },
        },
    },
    "dtype-no-grad": {
        "title": "`{var}` has dtype {dtype}: only floating point and complex tensors can require grad",
        "explanation": "`{var}` is a {dtype} tensor ({where}: `{line}`). A gradient is a rate of change, and "
                       "integers cannot change by a small amount, so autograd only lets floating point and "
                       "complex tensors require grad.",
        "fix": "{var} = {var}.float()  # or create it as floating point: torch.tensor([1., 2.]), dtype=torch.float32\n"
               "{var}.requires_grad_()",
        "warnings": [],
        "causes": {
            "integer_tensor": {
                "explanation": "`{var}` is an integer tensor ({dtype}) and {where} (`{line}`) asks it to require "
                               "grad. Integers cannot change by a small amount, so they have no gradient. Indices "
                               "and class labels need none; values you want to learn must be floating point.",
                "fix": "# values to learn: make them floating point\n{fixed_line}\n"
                       "# indices / class labels: leave requires_grad off, they need no gradient",
            },
            "bool_tensor": {
                "explanation": "`{var}` is a bool tensor and {where} (`{line}`) asks it to require grad. A mask "
                               "of True/False values has no gradient.",
                "fix": "# a 0/1 float mask, if you want to learn soft mask values:\n{fixed_line}",
            },
            "unknown": {
                "title": "Only floating point and complex tensors can require gradients",
                "explanation": "A tensor with an integer or bool dtype is asked to require grad at {where} "
                               "(`{line}`).",
                "fix": "# create it as floating point (torch.tensor([1., 2.]) or dtype=torch.float32)",
            },
        },
        "variants": {
            "integer_tensor/inferred": {
                "title": "`{var}` is not floating point (most likely an integer tensor): it cannot require grad",
                "explanation": "{where} (`{line}`) asks `{var}` to require grad, and torch refuses because its "
                               "dtype is neither floating point nor complex. Nothing in this code points to a bool "
                               "mask, so it is most likely an integer tensor: `torch.arange` of integers, `torch.tensor` of "
                               "ints, a NumPy int array, indices or labels. Integers cannot change by a small "
                               "amount, so they have no gradient.",
            },
        },
    },
    "inference-tensor": {
        "title": "`{var}` is an inference tensor (made under `{op}`): autograd cannot use it",
        "explanation": "`{var}` was created at {where} (`{line}`) under `{op}`. Inference tensors carry no "
                       "autograd metadata or version counter, so autograd can neither save them for backward "
                       "nor track in-place writes to them. It is used at {used_where}: `{used_line}`.",
        "fix": "# use torch.no_grad() instead of torch.inference_mode() for data that feeds training\n"
               "# or make a normal tensor before using it with autograd:\n{var} = {var}.clone()",
        "warnings": [],
        "causes": {
            "inference_mode_tensor": {},
            "unknown": {
                "title": "An inference tensor was used where autograd needs a normal one",
                "explanation": "A tensor created under `torch.inference_mode()` is saved for backward or "
                               "modified in place outside inference mode.",
                "fix": "x = x.clone()  # outside inference_mode: a normal tensor",
            },
        },
        "variants": {
            "inference_mode_tensor/module": {
                "title": "`{var}` was built under `{op}`: its parameters and buffers are inference tensors",
                "explanation": "`{var}` was created at {where} (`{line}`) under `{op}`, so every tensor it holds "
                               "(parameters, and buffers such as BatchNorm's running statistics) is an inference "
                               "tensor. Autograd cannot save inference tensors for backward, and they cannot be "
                               "updated in place outside inference mode, so using `{var}` at {used_where} "
                               "(`{used_line}`) fails. A module has no `.clone()`: build it again.",
                "fix": "# build {var} outside {op}:\n{line}\n"
                       "# keep torch.inference_mode() for evaluation only (after {var}.eval()), never around "
                       "creating or loading a model you will train",
            },
        },
    },
    "numpy-requires-grad": {
        "title": "`{var}` requires grad: detach it before converting to NumPy",
        "explanation": "`{var}` is part of an autograd graph (`requires_grad=True`). A NumPy array has no graph, "
                       "so torch refuses to drop it silently at {where} (`{line}`).",
        "fix": "{fixed_line}",
        "warnings": [],
        "causes": {
            "needs_detach": {},
            "unknown": {
                "title": "numpy() on a tensor that requires grad",
                "explanation": "A tensor that requires grad is converted to NumPy at {where} (`{line}`).",
                "fix": "t.detach().cpu().numpy()",
            },
        },
    },
    "unused-input": {
        "title": "`{var}` was not used to compute `{output}`",
        "explanation": "`torch.autograd.grad` was asked for the gradient of `{output}` with respect to `{var}` "
                       "(input {index}), but the graph of `{output}` never reaches `{var}`: `{output}` was "
                       "computed without this tensor. Line to look at: {where} (`{line}`). Often the name was "
                       "bound to a new tensor after `{output}` was computed, or the model does not use that "
                       "input or parameter.",
        "fix": "# compute {output} from the very tensor you differentiate with respect to:\n"
               "# make {var} require grad first, then recompute {output} from it\n"
               "# if some inputs are legitimately unused, their gradient can be None:\n"
               "{allow_line}",
        "warnings": [],
        "variants": {
            "not_in_graph/cut_use": {
                "title": "`{output}` reaches `{var}` only through a cut in the graph",
                "explanation": "`torch.autograd.grad` was asked for the gradient of `{output}` with respect to `{var}` "
                               "(input {index}), but on the way from `{var}` to `{output}`, {where} (`{line}`) reads "
                               "it through `.detach()`, `.data` or inside `torch.no_grad()`. That records no graph, "
                               "so `{output}` does not depend on `{var}` as far as autograd knows.",
                "fix": "# keep the graph on the way from {var} to {output}: drop the .detach()/.data there,\n"
                       "# or compute it outside torch.no_grad(); then call torch.autograd.grad again\n{line}",
            },
            "not_in_graph/copied": {
                "title": "`{output}` was computed from a copy of `{var}`, not from `{var}` itself",
                "explanation": "`torch.autograd.grad` was asked for the gradient of `{output}` with respect to `{var}` "
                               "(input {index}), but `{output}` was computed from a copy of it, made at {where} "
                               "(`{line}`). The copy has its own tensors: the graph of `{output}` reaches them, "
                               "never `{var}`.",
                "fix": "# differentiate with respect to the tensors {output} was computed from (the copy's),\n"
                       "# or compute {output} from {var} itself (e.g. torch.func.functional_call with updated weights)\n"
                       "# instead of: {line}",
            },
        },
        "causes": {
            "not_in_graph": {},
            "unknown": {
                "title": "A differentiated tensor was not used to compute the output",
                "explanation": "One of the `inputs` of `torch.autograd.grad` at {where} (`{line}`) is not in "
                               "the graph of the outputs.",
                "fix": "torch.autograd.grad(outputs, inputs, allow_unused=True)  # if that is expected",
            },
        },
    },
    "grad-shape-mismatch": {
        "title": "The gradient given for `{output}` has shape {grad_shape}, `{output}` has shape {out_shape}",
        "explanation": "`{gradient}` is passed as the gradient of `{output}` ({where}: `{line}`). It must have "
                       "exactly the shape of `{output}` ({out_shape}), but it has shape {grad_shape}.",
        "fix": "# pass a gradient shaped like {output} ({out_shape}):\n{fixed_line}\n"
               "# or reduce first: {output}.sum().backward()",
        "warnings": [],
        "causes": {
            "gradient_argument": {},
            "unknown": {
                "title": "The gradient passed to backward() has the wrong shape",
                "explanation": "A `gradient=` / `grad_outputs=` argument at {where} (`{line}`) has shape "
                               "{grad_shape}; the output has shape {out_shape}.",
                "fix": "out.backward(gradient=torch.ones_like(out))",
            },
        },
    },
    "nan-in-backward": {
        "title": "`{node}` produced nan in the backward pass (forward line: {forward_where})",
        "explanation": "Anomaly mode stopped the backward pass at `{node}`, whose gradient contains nan. Its "
                       "forward operation is at {forward_where}: `{forward_line}`.",
        "fix": "# guard the operation: keep the inputs of log/sqrt/division away from 0\n{forward_line}",
        "warnings": ["warn_anomaly_cost"],
        "causes": {
            "sqrt_at_zero": {
                "title": "`sqrt` got 0 at {forward_where}: its gradient is infinite and became nan",
                "explanation": "The gradient of `sqrt(x)` is `1 / (2 * sqrt(x))`, infinite at x = 0. At "
                               "{forward_where} (`{forward_line}`) the argument `{argument}` is 0 somewhere (a zero "
                               "distance, a zero norm...); the infinite gradient is then multiplied by 0 and anomaly "
                               "mode reports nan in `{node}`.",
                "fix": "# keep the argument of sqrt strictly positive:\n"
                       "torch.sqrt({argument} + 1e-12)  # or ({argument}).clamp_min(1e-12)\n"
                       "# for a distance, torch.linalg.vector_norm has a safe gradient at 0",
            },
            "log_of_nonpositive": {
                "title": "`log` got a value <= 0 at {forward_where}: its gradient is infinite or nan",
                "explanation": "The gradient of `log(x)` is `1 / x`: infinite at x = 0, and `log` of a negative "
                               "number is nan. At {forward_where} (`{forward_line}`) the argument `{argument}` is "
                               "0 or negative somewhere, so `{node}` returned nan.",
                "fix": "torch.log(({argument}).clamp_min(1e-12))\n"
                       "# for p * log(p) (entropy), torch.special.xlogy(p, p) is 0 at p = 0 with a finite gradient",
            },
            "division_by_zero": {
                "title": "Division by zero at {forward_where}: `{argument}` is 0",
                "explanation": "At {forward_where} (`{forward_line}`) the divisor `{argument}` is 0 somewhere. "
                               "The gradient of `x / y` has `1 / y` and `x / y**2` terms, infinite or nan at "
                               "y = 0, so `{node}` returned nan.",
                "fix": "# keep the divisor away from 0:\n"
                       "({argument}).clamp_min(1e-12)  # or add an epsilon: x / ({argument} + 1e-12)",
            },
            "nan_input": {
                "title": "`{var}` already contains nan before the backward pass",
                "explanation": "`{var}` holds nan values when it enters {forward_where} (`{forward_line}`). Any "
                               "gradient computed from a nan is nan, so `{node}` returned nan. The problem is in "
                               "the data (or in an earlier step that produced the nan), not in this operation.",
                "fix": "assert not torch.isnan({var}).any(), \"nan in {var}\"  # find where it comes from\n"
                       "{var} = torch.nan_to_num({var})  # or clean it where the data is loaded",
            },
            "unknown": {
                "title": "`{node}` produced nan in the backward pass",
                "explanation": "Anomaly mode stopped the backward pass at `{node}`, whose gradient contains nan. "
                               "The inputs of its forward operation (`{op}`) hold values where the gradient is "
                               "infinite or undefined (0 for sqrt, log or a divisor; a nan already in the data). "
                               "Turn on anomaly mode before the forward pass "
                               "(`torch.autograd.set_detect_anomaly(True)`) to get the forward line.",
                "fix": "# guard the inputs of {op}: keep them away from the values where its gradient blows up\n"
                       "# e.g. x.clamp_min(1e-12), or torch.nan_to_num(data) where the data is loaded",
            },
        },
    },
    "no-grad-input": {
        "title": "`{var}` does not require grad: torch.autograd.grad cannot differentiate with respect to it",
        "explanation": "`{var}` (input {index} of `torch.autograd.grad`) was made at {where} (`{line}`) without "
                       "`requires_grad=True`, so autograd recorded nothing about it when `{output}` was "
                       "computed from it.",
        "fix": "{var}.requires_grad_()  # right after it is made, before computing {output} from it\n"
               "# (or create it with requires_grad=True)",
        "warnings": [],
        "causes": {
            "input_without_grad": {},
            "unknown": {
                "title": "torch.autograd.grad was asked for the gradient of a tensor that does not require grad",
                "explanation": "One of the `inputs` of `torch.autograd.grad` at {where} (`{line}`) does not "
                               "require grad.",
                "fix": "x.requires_grad_()  # before computing the outputs from it",
            },
        },
        "variants": {
            "input_without_grad/passed_in": {
                "title": "`{var}` does not require grad: torch.autograd.grad cannot differentiate with respect "
                         "to it (`{param}` in `{function}`)",
                "explanation": "`{var}` reaches `{function}` as `{param}`, input {index} of "
                               "`torch.autograd.grad` at {grad_where} (`{grad_line}`). It was made at {where} "
                               "(`{line}`) without `requires_grad=True`, so autograd recorded nothing about it "
                               "when `{output}` was computed from it.",
            },
        },
    },
}
