"""简体中文消息。键和占位符必须与 ``en.py`` 一致（有测试检查）。

技术标识符（``requires_grad``、``grad_fn``、``backward()``、代码）保持原样。
"""

CATALOGUE = {
    "_common": {
        "location": "{cell} 第 {lineno} 行",
        "heading": "autograd_explain",
        "culprit": "问题变量",
        "blamed_line": "需要修改的行",
        "raised_at": "报错位置",
        "facts": "实时状态",
        "fix": "修改方法",
        "why": "发生了什么",
        "avoid": "不要这样做",
        "unavailable": "autograd_explain：无法给出解释（{error}）。",
        "warn_requires_grad": "不要设置 `{target}.requires_grad = True`，也不要用 `torch.tensor(...)` 重新包装它："
                              "这样 backward() 虽然能运行，但梯度传不到模型参数，模型什么也学不到。",
        "warn_retain_graph": "不要到处加 `retain_graph=True`：它只是掩盖了这个错误，会让每一步的计算图都留在内存里"
                             "（内存逐轮增长），还可能把梯度重复累加。",
        "saved_clause": "（`{saved_by}`，{saved_where}）",
        "warn_detach_item": "不要先 `.detach().item()` 再调用 `backward()`：Python 数字没有 `backward()`。",
        "warn_data_bypass": "不要用 `.data` 来绕过这个错误：`{var}.data -= ...` 会跳过 autograd 的检查，把真正的错误藏起来；"
                            "`torch.no_grad()` 才能清楚表达你的意图。",
        "warn_anomaly_cost": "找到 nan 之后不要一直开着异常检测模式（anomaly mode）：它会让每个训练步骤慢大约一倍。",
    },
    "no-grad-fn": {
        "title": "`{target}` 没有计算图：梯度追踪在 `{var}` 处丢失了",
        "explanation": "`backward()` 需要一个带有 autograd 计算图、能一路连回模型参数的张量。"
                       "`{target}` 没有计算图：图在 `{var}` 处被切断了（{where}）。",
        "fix": "# 让 {var} 保持与计算图相连\n{fixed}",
        "warnings": ["warn_requires_grad"],
        "variants": {
            "no_grad/caller": {
                "title": "`{target}` 没有计算图：计算它的函数是在 `torch.{op}()` 里调用的",
                "explanation": "`{var}` 是在一个于 `{op}` 下调用的函数中计算的（{where}：`{line}`）。这次调用里算出的一切都不记录计算图，所以其中的 `backward()` 没有可以求导的对象。",
                "fix": "# 在 {op} 块之外调用它，或者只做评估时跳过 backward()\n{line}",
            },
            "inference_mode/caller": {
                "title": "`{target}` 没有计算图：计算它的函数是在 `torch.{op}()` 里调用的",
                "explanation": "`{var}` 是在一个于 `{op}` 下调用的函数中计算的（{where}：`{line}`）。这次调用里算出的一切都不记录计算图，所以其中的 `backward()` 没有可以求导的对象。",
                "fix": "# 在 {op} 块之外调用它，或者只做评估时跳过 backward()\n{line}",
            },
            "grad_disabled/caller": {
                "title": "`{target}` 没有计算图：计算它的函数是在 `torch.{op}()` 里调用的",
                "explanation": "`{var}` 是在一个于 `{op}` 下调用的函数中计算的（{where}：`{line}`）。这次调用里算出的一切都不记录计算图，所以其中的 `backward()` 没有可以求导的对象。",
                "fix": "# 在 {op} 块之外调用它，或者只做评估时跳过 backward()\n{line}",
            },
        },
        "causes": {
            "no_grad": {
                "explanation": "`{var}` 是在 `torch.no_grad()` 里计算的（{where}：`{line}`），所以即使 `{upstream}` "
                               "需要梯度，它也不会记录计算图。由 `{var}` 算出的一切，包括 `{target}`，都没有 `grad_fn`。",
                "fix": "# 在 no_grad 代码块之外计算 {var}（no_grad 只用于评估）\n{line}",
            },
            "inference_mode": {
                "explanation": "`{var}` 是在 `torch.inference_mode()` 下计算的（{where}：`{line}`）：推理张量从不记录"
                               "计算图，所以无法对 `{target}` 求导。",
                "fix": "# 在 inference_mode 之外运行训练时的前向传播\n{line}",
            },
            "grad_disabled": {
                "explanation": "计算 `{var}` 时梯度追踪已被关闭（`torch.set_grad_enabled(False)`）（{where}：`{line}`），"
                               "所以它没有 `grad_fn`。",
                "fix": "torch.set_grad_enabled(True)  # 或者限定范围：with torch.set_grad_enabled(is_training):\n{line}",
            },
            "detach": {
                "explanation": "`{var}` 是用 `{op}` 得到的（{where}：`{line}`），它返回一个与 `{upstream}` 的计算图"
                               "断开的张量。之后的任何计算都无法把梯度传回去。",
                "fix": "# 在训练路径上去掉 .detach()（只在记录日志/计算指标时使用 detach）\n{fixed}",
            },
            "data_attribute": {
                "explanation": "`{var}` 读取了 `.data`（{where}：`{line}`）：`.data` 是不带计算图的原始张量，"
                               "所以 `{upstream}` 的计算历史被丢掉了。",
                "fix": "# 直接使用张量本身，而不是 .data\n{fixed}",
            },
            "item": {
                "explanation": "`{var}` 经过了一个 Python 数字（{op}，{where}：`{line}`）。Python 数字没有计算图；"
                               "再把它变回张量，得到的是一个没有历史的新叶子张量。",
                "fix": "# 保持为张量：训练路径上不要用 .item()/float()\n{fixed}",
            },
            "numpy_roundtrip": {
                "explanation": "`{var}` 经过了 NumPy（{op}，{where}：`{line}`）。NumPy 数组没有计算图；"
                               "由它们重新构造的张量是一个没有历史的新叶子张量。",
                "fix": "# 用 torch 运算代替 NumPy 来计算\n{fixed}",
            },
            "tensor_rewrap": {
                "explanation": "`{var}` 是用 `{op}` 构造的（{where}：`{line}`），它把 `{upstream}` 的数值复制到一个"
                               "不带计算图的新张量里。",
                "fix": "# 直接使用这个张量（多个张量用 torch.stack / torch.cat）\n{fixed}",
            },
            "non_differentiable_op": {
                "explanation": "`{var}` 来自 `{op}`（{where}：`{line}`），这是一个没有梯度的运算（它返回索引、布尔值"
                               "或整数）。`{upstream}` 仍然需要梯度，而 `{var}` 不需要。",
                "fix": "# 把可导的值（例如 logits）传给损失函数，而不是 {op}\n"
                       "# {op} 只用于计算准确率之类的指标\n{fixed}",
            },
            "frozen_parameters": {
                "explanation": "`{var}` 的所有参数都是 `requires_grad=False`（{total} 个参数中有 {trainable} 个可训练），"
                               "在 {where} 被冻结：`{line}`。因此 `{var}` 的输出不需要梯度，`{target}` 也没有 `grad_fn`。",
                "fix": "for p in {var}.parameters():\n    p.requires_grad_(True)  # 解冻你想训练的部分",
            },
            "inputs_without_grad": {
                "title": "计算 `{target}` 所用的张量都不需要梯度",
                "explanation": "`{target}` 只由不需要梯度的张量算出（`{leaves}`，在 {where} 创建）。"
                               "autograd 只会从 `requires_grad=True` 的张量（或模块参数）开始记录计算图。",
                "fix": "# 把你想求梯度的张量设为需要梯度的叶子张量\n{fixed}",
            },
            "unknown": {
                "title": "`{target}` 没有可以求导的计算图",
                "explanation": "`{target}` 的 `requires_grad=False` 且没有 `grad_fn`，但代码中看不出计算图是在哪里丢失的。"
                               "请检查从模型输出到 `{target}` 的每一步，看有没有 `.detach()`、`.item()`、`.numpy()`、"
                               "`torch.tensor(...)`、`argmax`/比较运算，以及 `no_grad`/`inference_mode` 代码块。",
                "fix": "print({target}.requires_grad, {target}.grad_fn)  # 一步步往回查，直到 requires_grad 为 True",
            },
        },
    },
    "python-number": {
        "title": "`{var}` 是 Python {type}，不是张量：它没有 backward()",
        "explanation": "`{var}` 在 {where} 变成了普通的 Python 值（`{line}`，通过 `{op}`）。Python 数字没有计算图，"
                       "所以没有东西可以调用 `backward()`。",
        "fix": "# 对张量调用 backward()；.item() 只用于打印\n{fixed}\n{var}.backward()\nprint({var}.item())",
        "warnings": ["warn_detach_item"],
        "causes": {
            "item": {"explanation": "`{var}` 是用 `.item()` 得到的（{where}：`{line}`），它返回一个没有计算图的 "
                                    "Python 数字。可以调用 backward() 的是张量 `{upstream}`。"},
            "tolist": {"explanation": "`{var}` 是用 `.tolist()` 得到的（{where}：`{line}`），它返回没有计算图的 "
                                      "Python 数字。"},
            "numpy": {"explanation": "`{var}` 是在 {where} 得到的 NumPy 值（`{line}`）：NumPy 没有自动求导。"},
            "python_math": {"explanation": "`{var}` 是用 Python 数学运算算出的（`{op}`，{where}：`{line}`），"
                                           "它会把张量变成没有计算图的 Python 数字。请使用对应的 torch 运算"
                                           "（`torch.exp`、`.sum()` 等）。"},
            "unknown": {"explanation": "`{target}` 是 Python `{type}`，不是张量；只有张量才有 `backward()`。"},
        },
    },
    "inplace-modified": {
        "title": "`{var}` 被 `{op}` 保存用于反向传播后，又被原地修改了",
        "explanation": "`{op}` 在 `{var}` 处于版本 {expected} 时把它保存下来用于反向传播{saved_clause}。"
                       "之后 {where}（`{line}`）原地修改了它，使它变成版本 {version}。"
                       "反向传播需要旧的数值，所以拒绝运行。",
        "fix": "# 不要原地修改 {var}，改为非原地写法\n{outofplace}",
        "warnings": ["warn_retain_graph"],
        "causes": {
            "optimizer_step": {
                "title": "`{var}.step()` 更新了计算图仍然需要的参数",
                "explanation": "`{var}.step()`（{where}）会原地修改参数（一个形状为 {shape} 的参数从版本 {expected} "
                               "变成了 {version}）。在这次 step 之前构建、并保存了该参数（在 `{op}` 中）的计算图，"
                               "之后又被用于反向传播。",
                "fix": "# 在 {var}.step() 之前完成所有使用旧计算图的 backward()，\n"
                       "# 或者在 step 之后重新做一次前向传播：\n"
                       "loss_a.backward(retain_graph=True)\nloss_b.backward()\n{var}.step()",
            },
            "inplace_module": {
                "title": "`{var}`（inplace=True）覆盖了 autograd 保存的张量",
                "explanation": "`{var}` 是用 `inplace=True` 构建的（{where}：`{line}`）：它会覆盖自己的输入。"
                               "而这个输入已被 `{op}` 保存用于反向传播（保存时是版本 {expected}，现在是 {version}）。",
                "fix": "# 改为非原地版本\n{outofplace}",
            },
            "unknown": {
                "title": "autograd 保存的张量被原地修改了",
                "explanation": "`{node}` 为反向传播保存的一个形状为 {shape} 的张量现在是版本 {version}；"
                               "反向传播期望的是版本 {expected}。从源码看不出修改发生在你的代码哪里"
                               "（可能在某个库或模块的 forward 里）。打开 `%autograd_explain trace on` 后重新运行，"
                               "即可记录确切的行。",
                "fix": "# 把对该张量的原地操作（x += ...、x.add_(...)、x[...] = ...、inplace=True）换成非原地写法",
            },
        },
    },
    "non-scalar-backward": {
        "title": "`{var}` 的形状是 {shape}：backward() 需要一个标量",
        "explanation": "`{var}` 有 {numel} 个值（形状 {shape}，在 {where} 得到：`{line}`）。"
                       "不带参数的 `backward()` 只能用于单个数，例如损失值。",
        "fix": "{var}.mean().backward()   # 取平均：梯度不随批大小增长\n"
               "# 或 {var}.sum().backward()  # 求和：梯度随元素个数成比例增长\n"
               "# 或 {var}.backward(gradient=torch.ones_like({var}))  # 向量-雅可比积",
        "warnings": [],
        "variants": {
            "unreduced_output/autograd_grad": {
                "title": "`{var}` 的形状是 {shape}：torch.autograd.grad 需要一个标量或 grad_outputs",
                "explanation": "`{var}` 有 {numel} 个值（形状 {shape}，在 {where} 得到：`{line}`）。"
                               "不带 `grad_outputs` 的 `torch.autograd.grad` 只能对单个数求导。",
                "fix": "torch.autograd.grad({var}, {inputs}, grad_outputs=torch.ones_like({var}))  # 对每个元素求梯度\n"
                       "# 或者对一个标量求导：torch.autograd.grad({var}.sum(), {inputs})",
            },
            "unreduced_output/part": {
                "title": "`{target}` 的形状是 {shape}：其中的 `{var}` 没有被归约",
                "explanation": "`{target}` 有 {numel} 个值（形状 {shape}），但其中其余部分都是标量："
                               "它的形状来自 `{var}`（形状 {part_shape}，在 {where} 得到：`{line}`），"
                               "在它加入的地方（{joined_where}：`{joined}`）广播把它扩展到了整个结果。"
                               "autograd 只会为单个数（例如损失值）隐式地创建起始梯度。",
                "fix": "{reduced_line}   # 在得到 {var} 的地方把它归约成标量（或用 .sum()）\n"
                       "# 或者对整体归约：{whole_fix}",
            },
            "reduction_none/part": {
                "title": "`{target}` 的形状是 {shape}：其中的 `{var}` 是逐元素的损失",
                "explanation": "`{target}` 有 {numel} 个值（形状 {shape}），但其中其余部分都是标量："
                               "它的形状来自 `{var}`（形状 {part_shape}），这是一个用 `reduction=\"none\"` "
                               "构建的损失（`{built}`），它为每个元素返回一个损失，而不是它们的平均值。"
                               "`{var}` 是在 {where} 得到的：`{line}`，在它加入的地方（{joined_where}：`{joined}`）"
                               "广播把它扩展到了整个结果。",
                "fix": "{reduced_line}   # 等同于 reduction=\"mean\" 的效果\n"
                       "# 或者对整体归约：{whole_fix}",
            },
        },
        "causes": {
            "reduction_none": {
                "explanation": "`{var}`（形状 {shape}）来自一个用 `reduction=\"none\"` 构建的损失函数"
                               "（`{built}`），它为每个元素返回一个损失，而不是它们的平均值。"
                               "它是在 {where} 得到的：`{line}`。",
                "fix": "{var}.mean().backward()   # 等同于 reduction=\"mean\" 的效果\n"
                       "# 或者先对逐元素损失加权：({var} * weights).sum().backward()",
            },
            "complex_output": {
                "title": "`{var}` 是复数：backward() 需要一个实数标量",
                "explanation": "`{var}` 的 dtype 是 {dtype}（形状 {shape}，在 {where} 得到）。"
                               "只有实数标量才能隐式地创建梯度。",
                "fix": "{var}.abs().sum().backward()  # 或者用 .real / .imag，再归约成实数标量",
            },
        },
    },
    "backward-twice": {
        "title": "`{var}`：对一个缓存已被释放的计算图再次反向传播",
        "explanation": "第一次 `backward()` 释放了这个计算图保存的中间值；第二次又需要它们。",
        "fix": "# 每次 backward() 之前重新做一次前向传播",
        "warnings": ["warn_retain_graph"],
        "variants": {
            "state_carried_across_iterations/stored_attribute": {
                "title": "`{var}` 保留了之前某一步的计算图",
                "explanation": "{where}（`{line}`）把一个张量存进 `{var}` 时没有 detach，所以 `{var}` 保留了那一步的计算图。"
                               "下一步用 `{var}` 构建 `{target}`，它的 `backward()` 会走到旧的计算图，而那部分已被之前那一步的 "
                               "`backward()` 释放。",
                "fix": "# 存入时去掉计算图（或在 torch.no_grad() 下更新）：\n{detached_store}",
            },
            "state_carried_across_iterations/across_calls": {
                "title": "`{var}` 带着上一次调用 `{function}` 时的计算图",
                "explanation": "`{function}` 用全局变量 `{var}` 自身重新计算它（{where}：`{line}`），却从未 detach，"
                               "所以每次调用都从上一次调用留下的 `{var}`（连同计算图）开始。上一次调用的 `backward()` "
                               "已经释放了那部分计算图，而 `{target}` 仍然经过它。",
                "fix": "{var} = {var}.detach()  # 在 {function} 开头、使用它之前\n{line}",
            },
            "state_carried_across_iterations/rerun": {
                "title": "`{var}` 带着上一次运行的计算图",
                "explanation": "`{line}`（{where}）用 `{var}` 自身重新计算它，而这条语句又运行了一次（重新运行的单元格或它的副本），"
                               "用的是上一次运行留下的 `{var}`（连同计算图）。那次运行的 `backward()` 已经释放了计算图，"
                               "而 `{target}` 仍然经过它。",
                "fix": "{var} = {var}.detach()  # 重新运行之前\n{line}",
            },
            "shared_subgraph/detach_in_second": {
                "title": "`{second_loss}` 经过 `{var}`，而 `{first_loss}.backward()` 已经释放了它的计算图",
                "explanation": "{first_where}（`{first}`）释放了生成 `{var}` 的计算图。`{second_loss}` 在 {where}"
                               "（`{line}`）再次读取 `{var}`，需要这部分计算图。`{second_loss}` 之后调用的优化器并不训练生成 "
                               "`{var}` 的参数，所以梯度不必流到那里。",
                "fix": "{detached_line}",
            },
            "state_carried_across_iterations/kept_list": {
                "title": "`{var}` 保留了之前各步的张量及其计算图",
                "explanation": "{where}（`{line}`）每一步都往 `{var}` 里添加一个张量，而 `backward()` 之后没有清空 "
                               "`{var}`。`{target}` 由其中所有张量构建，包括那些计算图已被之前的 `backward()` 释放的张量。",
                "fix": "# 每一步的 backward() 完成后清空它：\ndel {var}[:]  # 或 {var}.clear()\n"
                       "# （如果只为记录数值，存放 .detach() 或 .item() 的结果）",
            },
            "shared_subgraph/across_iterations": {
                "title": "每一轮迭代都复用 `{var}` 的计算图，而第一次 backward() 已经释放了它",
                "explanation": "`{var}` 只在循环之前计算了一次（{where}：`{line}`），每一轮的 `{target}` 都由它"
                               "算出。第一轮的 `backward()` 释放了这部分计算图保存的中间值；下一轮又需要它们。",
                "fix": "# 把 {var} 的计算移到循环里面，让每一轮都有自己的计算图\n"
                       "#（如果它不需要梯度，也可以用 {var}.detach()）\n{line}",
            },
            "state_carried_across_iterations/running_total": {
                "title": "`{var}` 保留着已被 `{added}.backward()` 释放的计算图",
                "explanation": "`{var}` 以张量的形式累积每一步的 `{added}`（{where}：`{line}`），因此保留了每一步的"
                               "计算图。每一步的 `{added}.backward()` 都已释放该步的计算图，而 `{target_backward}` "
                               "又要再次经过它们全部。",
                "fix": "# 累积一个数值（或用 {added}.detach() 保留张量）：计算图不会留到下一步\n"
                       "{fixed_line}\n"
                       "# 每一步的 {added}.backward() 已经算好了梯度；如果想对总和训练，\n"
                       "# 就把它从循环中去掉，在循环结束后只调用一次 {target_backward}",
            },
            "state_carried_across_iterations/carried_read": {
                "title": "`{carried}` 仍带着之前某一步的计算图",
                "explanation": "`{line}`（{where}）读取的是上一步（循环的上一轮或单元格的上一次运行）留下的 "
                               "`{carried}`（`{stored_line}`，{stored_where}），连同它的计算图。于是每一步的计算图"
                               "都连着上一步的计算图，而上一步的 `backward()` 已经释放了那些缓存。",
                "fix": "# 对来自上一步的值做 detach（截断反向传播）\n{fixed_line}\n"
                       "# 或者一开始就存入 detach 后的副本：\n# {stored_fixed}",
            },
            "shared_subgraph/first_loss": {
                "title": "`{second_loss}` 由 `{first_loss}` 构建，而 `{first_loss}` 的计算图已经反向传播过",
                "explanation": "`{line}`（{where}）释放了 `{first_loss}` 计算图保存的中间值。"
                               "`{second_loss}` 由 `{first_loss}` 构建，所以它的 `backward()` 又需要这个计算图。",
                "fix": "# 只调用一次 backward()，对总损失调用：删掉 `{line}`，保留\n"
                       "{second_loss}.backward()\n"
                       "#（{first_loss}.backward(retain_graph=True) 也能运行，但会把 {first_loss} 的梯度加两次）",
            },
            "shared_subgraph/grad_call": {
                "title": "`torch.autograd.grad` 释放了 `{second_loss}` 要经过的计算图",
                "explanation": "`{line}`（{where}）对 `{first_loss}` 求导时没有 `create_graph=True`"
                               "（或 `retain_graph=True`），于是释放了它的计算图。`{second_loss}` 由 `{var}` 构建"
                               "（梯度惩罚还由梯度本身构建），所以它的 `backward()` 又需要这个计算图。",
                "fix": "# 保留计算图，并让梯度本身可导（梯度惩罚两者都需要）\n"
                       "{fixed_line}",
            },
            "shared_subgraph/recomputed": {
                "title": "两次对 `{target}` 的 backward() 都经过 `{var}`，而第一次已经释放了它",
                "explanation": "`{target}` 重新计算过，但用的仍是同一个 `{var}`（在 {made_where} 得到："
                               "`{made_line}`），和 `{first}`（{first_where}）已经反向传播过的那个 `{target}` 一样。"
                               "那次反向传播释放了 `{var}` 计算图保存的中间值；这一次又需要它们。",
                "fix": "# 每次 backward() 之前重新计算 {var}（重新运行得到它的那一行，或者把它移到这里）\n"
                       "# 或者，如果产生 {var} 的部分不需要训练，使用 detach 后的副本：\n{detached_line}",
            },
            "shared_subgraph/inside_call": {
                "title": "`{first_loss}` 和 `{second_loss}` 共用在 `{line}` 算出的计算图",
                "explanation": "`{var}` 和 `{other}` 来自同一次计算（{where}：`{line}`），比如模型共享的主干。"
                               "`{first_loss}.backward()` 释放了这个共享部分保存的中间值；"
                               "`{second_loss}.backward()` 又需要它们。",
                "fix": "# 对两个损失只做一次反向传播（共享部分得到两者的梯度）\n"
                       "({first_loss} + {second_loss}).backward()\n"
                       "# 或者为第二次保留计算图：{first_loss}.backward(retain_graph=True)",
            },
            "shared_subgraph/across_calls": {
                "title": "每次调用 `{function}` 都复用 `{var}` 的计算图，而第一次 backward() 已经释放了它",
                "explanation": "`{var}` 只在 `{function}` 外面计算了一次（{where}：`{line}`），每次调用都由它算出 "
                               "`{target}`。第一次调用的 `backward()` 释放了这部分计算图保存的中间值；下一次调用"
                               "（优化器会多次调用它的 closure，训练步函数每个批次运行一次）又需要它们。",
                "fix": "# 把 {var} 的计算移到 {function} 里面，让每次调用都有自己的计算图\n"
                       "#（如果产生它的部分不需要梯度，也可以用 {var}.detach()）\n{line}",
            },
            "state_carried_across_iterations/inplace_store": {
                "title": "`{line}` 把某一步的计算图写进了 `{carried}`，并留到下一步",
                "explanation": "`{line}`（{where}）没有 detach 就原地写入 `{carried}`，于是 `{carried}` 带上了这一步"
                               "的计算图（一次次写入还会把每一步的计算图串在一起）。下一步读取它（`{read_line}`，"
                               "{read_where}）时，上一步的 `backward()` 已经释放了那个计算图。",
                "fix": "# 只存数值，不存计算图\n{fixed_line}\n"
                       "#（或者在 `with torch.no_grad():` 下写入）",
            },
            "state_carried_across_iterations/snapshot": {
                "title": "`{carried}` 保留了之前某一步的张量，连同计算图",
                "explanation": "`{line}`（{where}）只在某些步骤中运行（在条件之下），保留了那一步的张量，连同它的"
                               "计算图。之后的每一步都读取它（`{read_line}`，{read_where}），但存下它的那一步的 "
                               "`backward()` 已经释放了那个计算图。",
                "fix": "# 只保留数值（参考值或基线不需要梯度）\n{fixed_line}",
            },
            "state_carried_across_iterations/tuple_state": {
                "title": "`{var}` 带着之前迭代的计算图",
                "explanation": "`{var}`（一个张量元组，例如 LSTM 的 `(h, c)`）在循环中由它自己重新计算（{where}：`{line}`），"
                               "却从未 detach，所以每次迭代的计算图都连着上一次的计算图，而上一次的 `backward()` 已经释放了那些缓存。",
                "fix": "{var} = tuple(h.detach() for h in {var})  # 在每次迭代开始时（截断反向传播）\n{line}",
            },
            "second_backward/alias": {
                "title": "对 `{var}` 的计算图运行了两次 backward()",
                "explanation": "`{var}` 就是 `{line}`（{where}）已经反向传播过的张量 `{alias}`，那次反向传播释放了"
                               "它的计算图保存的中间值。再对它运行 backward() 需要重新做前向传播。",
                "fix": "# {alias}.backward() 已经算好了它的梯度；要再次反向传播，先重新计算它\n"
                       "# 如果只是留着以后查看，就存 {alias}.detach()（或 {alias}.item()）\n"
                       "# 只有确实需要两次反向传播时：第一次用 {alias}.backward(retain_graph=True)",
            },
            "second_backward/in_call": {
                "title": "对 `{var}` 的计算图运行了两次 backward()",
                "explanation": "`{call_line}`（{call_where}）已经运行了 `{line}`（{where}），对 `{var}` 做了反向传播，"
                               "并释放了计算图保存的中间值。再对它运行 backward() 需要重新做前向传播。",
                "fix": "# 再次调用 backward() 之前，重新计算 {var}（再调用一次产生它的代码）\n"
                       "# 只有确实需要对同一个图做两次反向传播时：在 `{line}` 中使用 retain_graph=True",
            },
        },
        "causes": {
            "second_backward": {
                "title": "对 `{var}` 的计算图运行了两次 backward()",
                "explanation": "`{var}.backward()` 已经运行过（{where}：`{line}`），并释放了计算图保存的中间值。"
                               "再运行一次（重新运行单元格、第二次调用）需要重新做前向传播。",
                "fix": "# 再次调用 backward() 之前，重新计算 {var}（重新运行前向传播的单元格）\n"
                       "# 只有确实需要对同一个图做两次反向传播时：\n"
                       "# {var}.backward(retain_graph=True)  # 在第一次调用时",
            },
            "state_carried_across_iterations": {
                "title": "`{var}` 带着之前迭代的计算图",
                "explanation": "`{var}` 在循环中由它自己重新计算（{where}：`{line}`），却从未 detach，"
                               "所以每次迭代的计算图都连着上一次的计算图，而上一次的 `backward()` 已经释放了那些缓存。",
                "fix": "{var} = {var}.detach()  # 在每次迭代开始时（截断反向传播）\n{line}",
            },
            "shared_subgraph": {
                "title": "`{first_loss}` 和 `{second_loss}` 共用 `{var}`，而第一次 backward() 已释放它",
                "explanation": "`{first_loss}` 由 `{var}` 构建（{where}：`{line}`），它的 backward() 释放了 `{var}` 的"
                               "计算图。`{second_loss}` 也经过 `{var}`。",
                "fix": "# 如果 {first_loss} 不应训练产生 {var} 的部分（就像 GAN 训练判别器那一步），就在那里 detach：\n"
                       "{detached_line}\n"
                       "# 如果两个损失都应训练它：只调用一次 ({first_loss} + {second_loss}).backward()，\n"
                       "# 或者 {first_loss}.backward(retain_graph=True)",
            },
        },
    },
    "leaf-inplace": {
        "title": "对需要梯度的叶子张量 `{var}` 做了原地写入",
        "explanation": "`{var}` 是 `requires_grad=True` 的叶子张量（由你直接创建，而不是计算得到）。"
                       "{where}（`{line}`）在 autograd 记录时原地写入它；autograd 拒绝这样做，"
                       "因为这次写入会改变它正在为之累加梯度的那个张量。",
        "fix": "with torch.no_grad():\n    {line}",
        "warnings": ["warn_data_bypass"],
        "causes": {
            "parameter_update": {
                "title": "在 `torch.no_grad()` 之外原地更新了 `{var}`",
                "explanation": "`{var}` 是一个参数（`requires_grad=True` 的叶子张量）。{where}（`{line}`）的更新"
                               "在 autograd 记录时执行，而 autograd 不允许对这样的叶子张量做原地写入。"
                               "参数更新不属于模型本身：不应该被记录。",
                "fix": "{guarded}\n"
                       "# 然后为下一步清空梯度：{var}.grad.zero_()\n"
                       "# 或者交给优化器完成：opt = torch.optim.SGD(params, lr=lr); opt.step(); opt.zero_grad()",
            },
            "leaf_write": {
                "explanation": "`{var}` 是 `requires_grad=True` 的叶子张量。{where}（`{line}`）在 autograd 记录时"
                               "原地写入它（{write}）。autograd 无法记录对一个它正在为之累加梯度的张量的写入。",
                "fix": "# 如果是设置初始值，不要记录这次写入：\n"
                       "with torch.no_grad():\n    {line}\n"
                       "# 如果要参与计算，改为非原地写法：\n{rewrite}\n"
                       "# 如果是往结果张量里填值，创建它时不要加 requires_grad=True（写入后它自然会有 grad_fn）",
            },
            "view_of_leaf_write": {
                "title": "`{var}` 是需要梯度的叶子张量 `{leaf}` 的视图：不能原地写入",
                "explanation": "`{var}` 与 `{leaf}` 共享内存，而 `{leaf}` 是 `requires_grad=True` 的叶子张量。"
                               "原地写入 `{var}`（{where}：`{line}`）就等于写入 `{leaf}` 本身，"
                               "autograd 在记录时不允许这样做。",
                "fix": "with torch.no_grad():\n    {line}  # 如果这是对 {leaf} 的更新或初始化\n"
                       "# 或者在副本上操作：{var} = {var}.clone()，再修改它",
            },
            "unknown": {
                "title": "对需要梯度的叶子张量做了原地写入",
                "explanation": "一个 `requires_grad=True` 的叶子张量（参数，或你用 `requires_grad=True` 创建的张量）"
                               "在 autograd 记录时于 {where}（`{line}`）被原地修改。",
                "fix": "with torch.no_grad():\n    {line}\n# 或者改为非原地写法：y = x + 1 而不是 x += 1",
            },
        },
    },
    "view-inplace": {
        "title": "`{var}` 是一个视图，autograd 无法追踪对它的原地写入",
        "explanation": "`{var}` 是 `{base}` 的视图，{where}（`{line}`）对它的原地写入无法被 autograd 记录。",
        "fix": "{rewrite}  # 非原地写法",
        "warnings": [],
        "causes": {
            "multi_output_view": {
                "title": "原地写入了 `{var}`，而它与 `{op}` 返回的视图共享内存",
                "explanation": "`{op}` 返回了 `{base}` 的多个视图（{made_where}：`{made_line}`）。这些视图共用一个反向节点，"
                               "autograd 无法记录对其中某个视图或它们的基张量的原地写入，"
                               "而 {where}（`{line}`）原地写入了 `{var}`。",
                "fix": "{rewrite}  # 非原地写法：得到一个新张量，视图保持不变\n"
                       "# 或者在创建视图时就 .clone()，让它们不再共享内存",
            },
            "view_from_no_grad": {
                "title": "`{var}` 是在 `torch.no_grad()` 中创建的视图，却在开启梯度时被修改",
                "explanation": "`{var}` 是在 `torch.no_grad()` 中创建的 `{base}` 的视图（{made_where}：`{made_line}`）。"
                               "它在梯度模式开启时被原地修改（{where}：`{line}`）：autograd 无法判断这次写入是否"
                               "应该记录到 `{base}` 的计算图中，所以禁止这样做。",
                "fix": "# 要么把创建视图和写入都放在 no_grad 里（写入不会被记录）：\n"
                       "with torch.no_grad():\n    {made_line}\n    {line}\n"
                       "# 要么在 no_grad 之外创建视图（写入会被记录），或者修改一个副本：\n"
                       "{var} = {var}.clone()\n{line}",
            },
            "custom_function_view": {
                "title": "`{var}` 是自定义 Function `{node}` 返回的视图：不能原地修改",
                "explanation": "`{var}` 是自定义 autograd Function `{node}` 返回的、其输入的视图（或输入本身）。"
                               "原地修改它（{where}：`{line}`）会覆盖这个 Function 自己的 backward，"
                               "所以 autograd 禁止这样做。",
                "fix": "{var} = {var}.clone()  # 修改之前先 clone 这个 Function 的输出\n{line}\n"
                       "# 或者让 {node}.forward 返回 x.clone()，而不是视图",
            },
            "unknown": {
                "title": "对 autograd 无法追踪的视图做了原地写入",
                "explanation": "{where}（`{line}`）以 autograd 无法记录的方式原地修改了一个视图"
                               "（来自返回多个视图的函数、在 no_grad 中创建、或由自定义 Function 返回的视图）。",
                "fix": "# 修改副本而不是视图\n{var} = {var}.clone()\n{line}",
            },
        },
    },
    "requires-grad-nonleaf": {
        "title": "`{var}` 是计算结果，不是叶子张量：不能修改它的 requires_grad",
        "explanation": "`{var}` 是某个运算的结果（`grad_fn={grad_fn}`），它的 `requires_grad` 由 autograd 根据输入决定。"
                       "只有你直接创建的张量（叶子张量）才能设置这个标志；{where}（`{line}`）试图修改它。",
        "fix": "{var} = {var}.detach()  # 与计算图断开的副本（requires_grad=False）\n"
               "# 或者，需要一个新的可优化叶子张量：{var} = {var}.detach().requires_grad_()\n"
               "# 或者在创建叶子张量时、在 .to()/.cuda() 之前设置 requires_grad：\n"
               "# x = torch.randn(..., device=device, requires_grad=True)",
        "warnings": [],
        "causes": {
            "nonleaf_flag": {
                "fix": "{fixed_line}  # 一个新的叶子张量，与计算出 {var} 的计算图断开\n"
                       "# 要训练一个张量，请对你创建的叶子张量设置 requires_grad（在 .to()/.cuda() 和缩放之后）：\n"
                       "# w = (torch.randn(3, 1) * 0.01).to(device).requires_grad_()",
            },
            "unknown": {
                "title": "只能修改叶子张量的 requires_grad",
                "explanation": "{where}（`{line}`）设置 `requires_grad` 的张量是由运算得到的；只有叶子张量"
                               "（你创建的张量）才能修改这个标志。",
                "fix": "y = y.detach()  # 代替 y.requires_grad = False",
            },
        },
        "variants": {
            "nonleaf_flag/part_of_leaf": {
                "title": "`{part}` 是 `{var}` 的一部分，不是叶子张量：不能只冻结张量的一部分",
                "explanation": "`{var}` 是需要梯度的叶子张量（形状 {shape}）；`{part}` 是由它得到的切片或视图，"
                               "没有自己的 `requires_grad` 标志（{where}：`{line}`）。这个标志属于整个张量："
                               "`{var}` 仍然可训练；而往它的一部分里写入数值是对叶子张量的原地写入，本身也会报错。"
                               "要让某些元素保持不变，应当把它们的梯度置零。",
                "fix": "# 让 {part} 保持不变：在梯度进入 {var}.grad 时把这部分置零\n"
                       "mask = torch.ones_like({var})\n"
                       "{mask_target} = 0\n"
                       "{var}.register_hook(lambda grad: grad * mask)\n"
                       "# 或者在 loss.backward() 之后、optimizer.step() 之前：\n"
                       "# {grad_target} = 0\n"
                       "# （动量或权重衰减仍可能改变这些元素：此时为 {var} 使用不带它们的优化器，"
                       "或把这部分放进一个不需要梯度的单独张量）",
            },
            "nonleaf_flag/view_of_leaf": {
                "title": "`{part}` 是 `{var}` 的视图，不是叶子张量：请在 `{var}` 本身上设置标志",
                "explanation": "`{part}` 由需要梯度的叶子张量 `{var}` 计算得到，没有自己的 `requires_grad` 标志"
                               "（{where}：`{line}`）。它覆盖了整个 `{var}`：请直接冻结 `{var}`。",
                "fix": "{var}.requires_grad_(False)  # 冻结 {var}（以及它的所有视图）",
            },
            "nonleaf_flag/part_of_leaf_true": {
                "title": "`{part}` 由 `{var}` 计算得到，而 `{var}` 已经需要梯度",
                "explanation": "`{var}` 是需要梯度的叶子张量（形状 {shape}）；`{part}` 由它计算得到，所以已经需要梯度，"
                               "也没有自己的标志可以设置（{where}：`{line}`）。它的梯度会流入 `{var}.grad`。",
                "fix": "# 删除这一行：{part} 已经通过 {var} 获得梯度\n"
                       "# loss.backward() 之后，这部分的梯度是 {grad_target}",
            },
        },
    },
    "dtype-no-grad": {
        "title": "`{var}` 的 dtype 是 {dtype}：只有浮点和复数张量才能需要梯度",
        "explanation": "`{var}` 是 {dtype} 张量（{where}：`{line}`）。梯度是变化率，整数不能做微小的变化，"
                       "所以 autograd 只允许浮点和复数张量需要梯度。",
        "fix": "{var} = {var}.float()  # 或者直接创建浮点张量：torch.tensor([1., 2.])、dtype=torch.float32\n"
               "{var}.requires_grad_()",
        "warnings": [],
        "causes": {
            "integer_tensor": {
                "explanation": "`{var}` 是整数张量（{dtype}），而 {where}（`{line}`）要求它需要梯度。"
                               "整数不能做微小的变化，所以没有梯度。索引和类别标签不需要梯度；"
                               "要学习的数值必须是浮点数。",
                "fix": "# 要学习的数值：改成浮点数\n{fixed_line}\n"
                       "# 索引 / 类别标签：不要打开 requires_grad，它们不需要梯度",
            },
            "bool_tensor": {
                "explanation": "`{var}` 是布尔张量，而 {where}（`{line}`）要求它需要梯度。"
                               "由 True/False 组成的掩码没有梯度。",
                "fix": "# 0/1 浮点掩码，如果你想学习软掩码的值：\n{fixed_line}",
            },
            "unknown": {
                "title": "只有浮点和复数张量才能需要梯度",
                "explanation": "{where}（`{line}`）要求一个整数或布尔类型的张量需要梯度。",
                "fix": "# 创建浮点张量（torch.tensor([1., 2.]) 或 dtype=torch.float32）",
            },
        },
        "variants": {
            "integer_tensor/inferred": {
                "title": "`{var}` 不是浮点张量（很可能是整数张量）：它不能需要梯度",
                "explanation": "{where}（`{line}`）要求 `{var}` 需要梯度，而它的 dtype 既不是浮点也不是复数，所以 torch 拒绝了。"
                               "这段代码中没有迹象表明它是布尔掩码，所以它很可能是整数张量：整数参数的 `torch.arange`、"
                               "由整数构成的 `torch.tensor`、NumPy 整数数组、索引或标签。整数不能做微小的变化，所以没有梯度。",
            },
        },
    },
    "inference-tensor": {
        "title": "`{var}` 是推理张量（在 `{op}` 下创建）：autograd 无法使用它",
        "explanation": "`{var}` 是在 {where}（`{line}`）于 `{op}` 下创建的。推理张量不带 autograd 元数据和版本计数，"
                       "所以 autograd 既不能把它们保存下来用于反向传播，也不能追踪对它们的原地写入。"
                       "它在 {used_where} 被使用：`{used_line}`。",
        "fix": "# 给训练用的数据请用 torch.no_grad()，而不是 torch.inference_mode()\n"
               "# 或者在交给 autograd 之前先得到一个普通张量：\n{var} = {var}.clone()",
        "warnings": [],
        "causes": {
            "inference_mode_tensor": {},
            "unknown": {
                "title": "在 autograd 需要普通张量的地方使用了推理张量",
                "explanation": "一个在 `torch.inference_mode()` 下创建的张量被保存用于反向传播，"
                               "或在推理模式之外被原地修改。",
                "fix": "x = x.clone()  # 在 inference_mode 之外：得到普通张量",
            },
        },
        "variants": {
            "inference_mode_tensor/module": {
                "title": "`{var}` 是在 `{op}` 下创建的：它的参数和缓冲区都是推理张量",
                "explanation": "`{var}` 是在 {where}（`{line}`）于 `{op}` 下创建的，所以它持有的每个张量"
                               "（参数，以及 BatchNorm 的运行统计量等缓冲区）都是推理张量。autograd 不能把推理张量保存下来用于反向传播，"
                               "在推理模式之外也不能原地更新它们，所以在 {used_where}（`{used_line}`）使用 `{var}` 时失败。"
                               "模块没有 `.clone()`：请重新创建它。",
                "fix": "# 在 {op} 之外创建 {var}：\n{line}\n"
                       "# torch.inference_mode() 只用于评估（在 {var}.eval() 之后），"
                       "不要包住要训练的模型的创建或加载",
            },
        },
    },
    "numpy-requires-grad": {
        "title": "`{var}` 需要梯度：转换成 NumPy 之前要先 detach",
        "explanation": "`{var}` 是 autograd 计算图的一部分（`requires_grad=True`）。NumPy 数组没有计算图，"
                       "所以 torch 拒绝在 {where}（`{line}`）悄悄丢掉它。",
        "fix": "{fixed_line}",
        "warnings": [],
        "causes": {
            "needs_detach": {},
            "unknown": {
                "title": "对需要梯度的张量调用了 numpy()",
                "explanation": "{where}（`{line}`）把一个需要梯度的张量转换成了 NumPy。",
                "fix": "t.detach().cpu().numpy()",
            },
        },
    },
    "unused-input": {
        "title": "计算 `{output}` 时没有用到 `{var}`",
        "explanation": "`torch.autograd.grad` 被要求计算 `{output}` 对 `{var}`（第 {index} 个输入）的梯度，"
                       "但 `{output}` 的计算图从未经过 `{var}`：`{output}` 的计算没有用到这个张量。"
                       "需要查看的行：{where}（`{line}`）。常见原因是在算出 `{output}` 之后，这个名字又被绑定到了"
                       "一个新张量上，或者模型没有用到这个输入或参数。",
        "fix": "# 用你要求导的那个张量本身来计算 {output}：\n"
               "# 先让 {var} 需要梯度，再用它重新计算 {output}\n"
               "# 如果某些输入确实用不到，它们的梯度可以是 None：\n"
               "{allow_line}",
        "warnings": [],
        "variants": {
            "not_in_graph/cut_use": {
                "title": "`{output}` 只能通过被切断的计算图到达 `{var}`",
                "explanation": "`torch.autograd.grad` 被要求计算 `{output}` 对 `{var}`（第 {index} 个输入）的梯度，"
                               "但从 `{var}` 到 `{output}` 的路上，{where}（`{line}`）通过 `.detach()`、`.data` 或在 "
                               "`torch.no_grad()` 中读取它，没有记录计算图，所以在 autograd 看来 `{output}` 不依赖 `{var}`。",
                "fix": "# 在从 {var} 到 {output} 的路上保留计算图：去掉那里的 .detach()/.data，\n"
                       "# 或在 torch.no_grad() 之外计算；然后再调用 torch.autograd.grad\n{line}",
            },
            "not_in_graph/copied": {
                "title": "`{output}` 是由 `{var}` 的副本计算出来的，而不是 `{var}` 本身",
                "explanation": "`torch.autograd.grad` 被要求计算 `{output}` 对 `{var}`（第 {index} 个输入）的梯度，"
                               "但 `{output}` 是由它的一个副本计算的，副本在 {where}（`{line}`）创建。"
                               "副本有自己的张量：`{output}` 的计算图只经过它们，从未经过 `{var}`。",
                "fix": "# 对 {output} 实际使用的张量（副本的）求导，\n"
                       "# 或者直接用 {var} 计算 {output}（例如用 torch.func.functional_call 传入更新后的权重）\n"
                       "# 而不是：{line}",
            },
        },
        "causes": {
            "not_in_graph": {},
            "unknown": {
                "title": "被求导的张量没有参与输出的计算",
                "explanation": "{where}（`{line}`）处 `torch.autograd.grad` 的某个 `inputs` 不在输出的计算图中。",
                "fix": "torch.autograd.grad(outputs, inputs, allow_unused=True)  # 如果这是预期行为",
            },
        },
    },
    "grad-shape-mismatch": {
        "title": "为 `{output}` 提供的梯度形状是 {grad_shape}，而 `{output}` 的形状是 {out_shape}",
        "explanation": "`{gradient}` 被作为 `{output}` 的梯度传入（{where}：`{line}`）。它的形状必须与 `{output}` "
                       "完全相同（{out_shape}），但它的形状是 {grad_shape}。",
        "fix": "# 传入与 {output} 形状相同（{out_shape}）的梯度：\n{fixed_line}\n"
               "# 或者先归约：{output}.sum().backward()",
        "warnings": [],
        "causes": {
            "gradient_argument": {},
            "unknown": {
                "title": "传给 backward() 的梯度形状不对",
                "explanation": "{where}（`{line}`）处 `gradient=` / `grad_outputs=` 参数的形状是 {grad_shape}；"
                               "输出的形状是 {out_shape}。",
                "fix": "out.backward(gradient=torch.ones_like(out))",
            },
        },
    },
    "nan-in-backward": {
        "title": "`{node}` 在反向传播中产生了 nan（前向代码行：{forward_where}）",
        "explanation": "异常检测模式（anomaly mode）在 `{node}` 处停止了反向传播，它的梯度中含有 nan。"
                       "对应的前向运算在 {forward_where}：`{forward_line}`。",
        "fix": "# 保护这个运算：让 log/sqrt/除法的输入远离 0\n{forward_line}",
        "warnings": ["warn_anomaly_cost"],
        "causes": {
            "sqrt_at_zero": {
                "title": "`sqrt` 在 {forward_where} 收到了 0：它的梯度是无穷大，并变成了 nan",
                "explanation": "`sqrt(x)` 的梯度是 `1 / (2 * sqrt(x))`，在 x = 0 时为无穷大。在 {forward_where}"
                               "（`{forward_line}`），参数 `{argument}` 在某处为 0（距离为零、范数为零等）；"
                               "无穷大的梯度随后乘以 0，异常检测模式便在 `{node}` 中报告了 nan。",
                "fix": "# 让 sqrt 的参数严格大于 0：\n"
                       "torch.sqrt({argument} + 1e-12)  # 或 ({argument}).clamp_min(1e-12)\n"
                       "# 计算距离时，torch.linalg.vector_norm 在 0 处的梯度是安全的",
            },
            "log_of_nonpositive": {
                "title": "`log` 在 {forward_where} 收到了 <= 0 的值：梯度为无穷大或 nan",
                "explanation": "`log(x)` 的梯度是 `1 / x`：在 x = 0 时为无穷大，而负数的 `log` 是 nan。"
                               "在 {forward_where}（`{forward_line}`），参数 `{argument}` 在某处为 0 或负数，"
                               "所以 `{node}` 返回了 nan。",
                "fix": "torch.log(({argument}).clamp_min(1e-12))\n"
                       "# 计算 p * log(p)（熵）时，torch.special.xlogy(p, p) 在 p = 0 处为 0，梯度有限",
            },
            "division_by_zero": {
                "title": "{forward_where} 处除以零：`{argument}` 为 0",
                "explanation": "在 {forward_where}（`{forward_line}`），除数 `{argument}` 在某处为 0。"
                               "`x / y` 的梯度含有 `1 / y` 和 `x / y**2` 项，在 y = 0 时为无穷大或 nan，"
                               "所以 `{node}` 返回了 nan。",
                "fix": "# 让除数远离 0：\n"
                       "({argument}).clamp_min(1e-12)  # 或者加一个 epsilon：x / ({argument} + 1e-12)",
            },
            "nan_input": {
                "title": "`{var}` 在反向传播之前就已经含有 nan",
                "explanation": "`{var}` 进入 {forward_where}（`{forward_line}`）时就含有 nan 值。由 nan 算出的任何梯度"
                               "都是 nan，所以 `{node}` 返回了 nan。问题出在数据（或更早产生 nan 的某一步），"
                               "而不是这个运算本身。",
                "fix": "assert not torch.isnan({var}).any(), \"nan in {var}\"  # 找出它从哪里来\n"
                       "{var} = torch.nan_to_num({var})  # 或者在加载数据的地方清洗它",
            },
            "unknown": {
                "title": "`{node}` 在反向传播中产生了 nan",
                "explanation": "异常检测模式（anomaly mode）在 `{node}` 处停止了反向传播，它的梯度中含有 nan。"
                               "它的前向运算（`{op}`）的输入中有使梯度为无穷大或无定义的值（sqrt、log 或除数的输入为 0，"
                               "或数据中本来就有 nan）。在前向传播之前打开异常检测模式"
                               "（`torch.autograd.set_detect_anomaly(True)`），即可得到对应的前向代码行。",
                "fix": "# 保护 {op} 的输入：让它们远离使梯度爆炸的值\n"
                       "# 例如 x.clamp_min(1e-12)，或在加载数据的地方使用 torch.nan_to_num(data)",
            },
        },
    },
    "no-grad-input": {
        "title": "`{var}` 不需要梯度：torch.autograd.grad 无法对它求导",
        "explanation": "`{var}`（`torch.autograd.grad` 的第 {index} 个输入）在 {where}（`{line}`）创建时没有 "
                       "`requires_grad=True`，所以用它计算 `{output}` 时 autograd 没有记录任何关于它的信息。",
        "fix": "{var}.requires_grad_()  # 在它创建之后、用它计算 {output} 之前\n"
               "# （或者创建时就写 requires_grad=True）",
        "warnings": [],
        "causes": {
            "input_without_grad": {},
            "unknown": {
                "title": "torch.autograd.grad 被要求对一个不需要梯度的张量求导",
                "explanation": "{where}（`{line}`）处 `torch.autograd.grad` 的某个 `inputs` 不需要梯度。",
                "fix": "x.requires_grad_()  # 在用它计算输出之前",
            },
        },
        "variants": {
            "input_without_grad/passed_in": {
                "title": "`{var}` 不需要梯度：torch.autograd.grad 无法对它求导（即 `{function}` 中的 `{param}`）",
                "explanation": "`{var}` 作为 `{param}` 进入了 `{function}`，是 {grad_where}（`{grad_line}`）处 "
                               "`torch.autograd.grad` 的第 {index} 个输入。它在 {where}（`{line}`）创建时没有 "
                               "`requires_grad=True`，所以用它计算 `{output}` 时 autograd 没有记录任何关于它的信息。",
            },
        },
    },
}
