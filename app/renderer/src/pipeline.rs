//! Building render pipelines from WGSL: one compiler for the transitions (prelude
//! `common.wgsl` + the transition's file) and the visualizer modes (prelude `visualizer.wgsl` +
//! the mode's file), with validation errors caught in an error scope instead of panicking.

/// Compiles `prelude` + `file` (the WGSL file named `name`) into a pipeline drawing into
/// `format` with `blend`, the vertex shader `vs_main` and the fragment shader `fs_main`.
/// Validation errors are returned as a message (with the line where the file starts in the
/// combined source) instead of wgpu's default panic.
pub(crate) fn compile_pipeline(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    format: wgpu::TextureFormat,
    name: &'static str,
    (prelude, file): (&str, &str),
    blend: Option<wgpu::BlendState>,
) -> Result<wgpu::RenderPipeline, String> {
    let source = format!("{prelude}\n{file}");
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(name),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(name),
        layout: Some(layout),
        vertex: wgpu::VertexState {
            module: &module,
            entry_point: Some("vs_main"),
            compilation_options: Default::default(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module: &module,
            entry_point: Some("fs_main"),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format,
                blend,
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    });
    // On native backends the scope resolves immediately; blocking here keeps `new` synchronous.
    match pollster::block_on(scope.pop()) {
        None => Ok(pipeline),
        Some(error) => Err(format!(
            "{error} (line {} of the combined source is line 1 of {name}.wgsl)",
            prelude.lines().count() + 2
        )),
    }
}
