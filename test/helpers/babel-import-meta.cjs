// Babel plugin for Jest only: NestJS 12 ships ES modules, which Jest's CommonJS loader
// cannot load, so the test transform rewrites them to CommonJS. `import.meta` has no
// CommonJS form; its one use there, `import.meta.url`, becomes this file's URL (through
// `module.require`: the modules themselves declare a `require` of their own).
module.exports = function importMetaUrl({ types: t, template }) {
  const fileUrl = template.expression.ast("module.require('node:url').pathToFileURL(__filename).href");
  return {
    name: 'jifen-import-meta-url',
    visitor: {
      MemberExpression(path) {
        const { object, property } = path.node;
        if (t.isMetaProperty(object) && object.meta.name === 'import' && t.isIdentifier(property, { name: 'url' })) {
          path.replaceWith(t.cloneNode(fileUrl));
        }
      },
    },
  };
};
