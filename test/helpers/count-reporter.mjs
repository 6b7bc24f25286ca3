// A node:test reporter that writes {passed, failed, skipped} of leaf tests as JSON.
export default async function* countReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0 }
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue
    if (event.data.details?.type === 'suite') continue
    if (event.data.skip !== undefined && event.data.skip !== false) counts.skipped++
    else if (event.data.todo !== undefined && event.data.todo !== false) counts.skipped++
    else if (event.type === 'test:pass') counts.passed++
    else counts.failed++
  }
  yield JSON.stringify(counts)
}
